/**
 * The page script of every flamegraph HTML file, kept as plain ES5-ish browser JS in a string so the
 * build (tsc) and the tests (vitest/esbuild) cannot rewrite it. It reads the embedded payload
 * (flamegraph-payload.ts) and drives d3-flame-graph 5.0 (`flamegraph.default`).
 *
 * Safety rule: recorded text reaches the DOM only through textContent, setAttribute, or d3's
 * .text(). d3-flame-graph writes labels with .text() and titles with .text(); its default tooltip
 * uses .html(), so this script supplies its own tooltip object instead.
 * (No backticks or dollar-brace in here: this file is one String.raw template.)
 */
export const CLIENT_JS = String.raw`
(function () {
  'use strict';
  var P = JSON.parse(document.getElementById('perf-orc-data').textContent);
  var FR = P.frames;
  var STRIDE = 4;
  var el = function (id) { return document.getElementById(id); };
  var state = { view: 0, sel: null, root: null, zoomed: null, matcher: null };

  function frameName(f) { return f < 0 ? P.rootName : FR.names[f]; }
  function kindOf(f) { return f < 0 ? 'root' : P.kinds[FR.kinds[f]]; }
  function isUnreliable(f) { return f >= 0 && FR.rel[f] !== 0; }

  // ---- data for the current view and thread selection ------------------------------------
  function convert(node, sel) {
    var v = node.v, s = node.s, m = node.m;
    if (sel) {
      v = 0; s = 0; m = 0;
      for (var i = 0; i < node.t.length; i += STRIDE) {
        if (sel[node.t[i]]) { v += node.t[i + 1]; s += node.t[i + 2]; m += node.t[i + 3]; }
      }
    }
    if (v <= 0 && node.f >= 0) return null;
    var out = { f: node.f, v: v, s: s, m: m, c: [] };
    var kids = node.c || [];
    for (var j = 0; j < kids.length; j++) {
      var k = convert(kids[j], sel);
      if (k) out.c.push(k);
    }
    return out;
  }

  function currentData() {
    state.root = convert(P.views[state.view].root, state.sel);
    return state.root;
  }

  // ---- colours ----------------------------------------------------------------------------
  function hash(name) {
    var h = 2166136261;
    for (var i = 0; i < name.length && i < 24; i++) { h ^= name.charCodeAt(i); h = Math.imul(h, 16777619); }
    return ((h >>> 0) % 1000) / 1000;
  }
  function rgb(r, g, b) { return 'rgb(' + Math.round(r) + ',' + Math.round(g) + ',' + Math.round(b) + ')'; }
  function kindColor(kind, name) {
    var v = hash(name);
    if (kind === 'kernel') return rgb(90 + 50 * v, 150 + 50 * v, 230 + 25 * v);
    if (kind === 'jit') return rgb(60 + 70 * v, 195 + 55 * v, 70 + 60 * v);
    if (kind === 'user') return rgb(225 + 30 * v, 80 + 130 * v, 45 + 30 * v);
    if (kind === 'root') return 'rgb(200,200,200)';
    return rgb(170 + 40 * v, 170 + 40 * v, 170 + 40 * v);
  }
  function deficitColor(d) {
    var f = d.data.v > 0 ? Math.min(1, d.data.m / d.data.v) : 0;
    return rgb(235 - 15 * f, 235 - 200 * f, 235 - 200 * f);
  }
  function colorOf(d) {
    if (d.highlight) return '#E600E6';
    var f = d.data.f;
    if (P.colorMode === 'deficit') return deficitColor(d);
    if (isUnreliable(f)) return 'url(#unrel-' + kindOf(f) + ')';
    return kindColor(kindOf(f), frameName(f));
  }

  // ---- text shown for a frame -------------------------------------------------------------
  function pct(n, of) { return of > 0 ? (100 * n / of).toFixed(2) + '%' : '-'; }
  function selfOf(data) {
    var s = data.v;
    for (var i = 0; i < data.c.length; i++) s -= data.c[i].v;
    return s;
  }
  function isWithin(d, ancestor) {
    for (var n = d; n; n = n.parent) if (n === ancestor) return true;
    return false;
  }
  function tooltipLines(d) {
    var f = d.data.f, total = state.root ? state.root.v : 0;
    var lines = [frameName(f)];
    if (f >= 0) lines.push(FR.dsos[f] + ' \u00b7 ' + kindOf(f));
    var share = d.data.s + ' samples \u00b7 ' + pct(d.data.v, total) + ' of total';
    if (state.zoomed && state.zoomed.parent && isWithin(d, state.zoomed)) {
      share += ' \u00b7 ' + pct(d.data.v, state.zoomed.data.v) + ' of zoomed frame';
    }
    lines.push(share);
    if (P.unit === 'period') lines.push('period ' + d.data.v + ' (self ' + selfOf(d.data) + ')');
    else lines.push('self ' + selfOf(d.data) + ' samples');
    if (P.colorMode === 'deficit') lines.push(P.markedLabel + ': ' + d.data.m + ' (' + pct(d.data.m, d.data.v) + ')');
    if (isUnreliable(f)) lines.push('unreliable: ' + P.reasons[FR.rel[f]]);
    return lines;
  }
  function labelText(d) {
    return frameName(d.data.f) + ' (' + pct(d.data.v, state.root ? state.root.v : 0) + ', ' + d.data.s + ' samples)';
  }

  // ---- tooltip: text only (replaces d3-flame-graph's html() tooltip) ------------------------
  var tipEl = el('tooltip');
  function tip() {}
  tip.show = function (event, d) {
    while (tipEl.firstChild) tipEl.removeChild(tipEl.firstChild);
    var lines = tooltipLines(d);
    for (var i = 0; i < lines.length; i++) {
      var div = document.createElement('div');
      div.textContent = lines[i];
      if (i === 0) div.className = 'tip-name';
      if (lines[i].indexOf('unreliable: ') === 0) div.className = 'tip-unreliable';
      tipEl.appendChild(div);
    }
    tipEl.style.display = 'block';
    var x = Math.min(event.pageX + 14, window.scrollX + window.innerWidth - tipEl.offsetWidth - 8);
    tipEl.style.left = Math.max(0, x) + 'px';
    tipEl.style.top = (event.pageY + 14) + 'px';
  };
  tip.hide = function () { tipEl.style.display = 'none'; };

  // ---- chart --------------------------------------------------------------------------------
  function chartWidth() { return Math.max(300, el('chart').clientWidth); }
  var chart = flamegraph.default()
    .width(chartWidth())
    .cellHeight(18)
    .minFrameSize(P.minFrameSize)
    .transitionDuration(0)
    .resetHeightOnZoom(true)
    .getName(function (d) { return frameName(d.data.f); })
    .getChildren(function (d) { return d.c; })
    .setColorMapper(function (d) { return colorOf(d); })
    .setLabelHandler(labelText)
    .setSearchMatch(function (d) { return state.matcher ? state.matcher(frameName(d.data.f)) : false; })
    .setSearchHandler(function (results, sum, total) { showStatus('Matched: ' + pct(sum, total) + ' (' + results.length + ' frames)', false); })
    .setDetailsElement(el('details'))
    .tooltip(tip)
    .onClick(function (d) { state.zoomed = d; decorate(); });

  /** d3-flame-graph rewrites each frame's class on every update: put ours back. */
  function decorate() {
    d3.select('#chart').selectAll('g').each(function (d) {
      if (!d || !d.data) return;
      var u = isUnreliable(d.data.f);
      this.classList.toggle('unreliable', u);
      this.setAttribute('data-kind', kindOf(d.data.f));
      var r = this.querySelector('rect');
      if (r) r.classList.toggle('unreliable', u);
    });
  }

  function redraw(newData) {
    state.zoomed = null;
    if (newData) chart.update(currentData()); else chart.update();
    runSearch();
  }

  // ---- search: literal or regex; a bad regex is reported, never thrown ----------------------
  function showStatus(text, invalid) {
    var s = el('search-status');
    s.textContent = text;
    s.classList.toggle('invalid', invalid);
    el('search').classList.toggle('invalid', invalid);
    el('search').setAttribute('aria-invalid', invalid ? 'true' : 'false');
  }
  function buildMatcher(term) {
    var icase = el('icase').checked;
    if (el('regex').checked) {
      var re;
      try { re = new RegExp(term, icase ? 'i' : ''); } catch (e) { return { error: 'invalid regex: ' + e.message }; }
      return { fn: function (name) { return re.test(name); } };
    }
    var needle = icase ? term.toLowerCase() : term;
    return { fn: function (name) { return (icase ? name.toLowerCase() : name).indexOf(needle) >= 0; } };
  }
  function runSearch() {
    var term = el('search').value;
    state.matcher = null;
    showStatus('', false);
    if (term) {
      var m = buildMatcher(term);
      if (m.error) showStatus(m.error, true); else state.matcher = m.fn;
    }
    if (state.matcher) chart.search(term); else chart.clear();
    decorate();
  }

  // ---- controls -----------------------------------------------------------------------------
  function addOption(select, value, text) {
    var o = document.createElement('option');
    o.value = value;
    o.textContent = text;
    select.appendChild(o);
  }
  function fillThreads() {
    var select = el('thread'), total = 0, procs = {}, order = [];
    P.threads.forEach(function (t, i) {
      total += t.weight;
      if (!procs[t.pid]) { procs[t.pid] = { pid: t.pid, comm: t.comm, weight: 0, threads: [] }; order.push(procs[t.pid]); }
      var p = procs[t.pid];
      if (t.tid === t.pid) p.comm = t.comm;
      p.weight += t.weight;
      p.threads.push(i);
    });
    addOption(select, 'all', 'All processes and threads');
    order.sort(function (a, b) { return b.weight - a.weight; });
    order.forEach(function (p) {
      addOption(select, 'p:' + p.pid, 'pid ' + p.pid + ' ' + p.comm + ' \u2014 ' + pct(p.weight, total));
      p.threads.sort(function (a, b) { return P.threads[b].weight - P.threads[a].weight; });
      p.threads.forEach(function (i) {
        var t = P.threads[i];
        addOption(select, 't:' + i, '\u00a0\u00a0\u00a0tid ' + t.tid + ' ' + t.comm + ' \u2014 ' + pct(t.weight, total));
      });
    });
  }
  function selectionFor(value) {
    if (value === 'all') return null;
    var sel = {};
    if (value.indexOf('t:') === 0) sel[Number(value.slice(2))] = true;
    else P.threads.forEach(function (t, i) { if ('p:' + t.pid === value) sel[i] = true; });
    return sel;
  }
  function fillViews() {
    var select = el('view');
    P.views.forEach(function (v, i) { addOption(select, String(i), v.label); });
    if (P.views.length < 2) select.style.display = 'none';
  }
  function fillHeader() {
    el('title').textContent = P.title;
    var ctx = el('context');
    P.context.forEach(function (kv) {
      var item = document.createElement('span');
      var k = document.createElement('b');
      k.textContent = kv[0] + ': ';
      item.appendChild(k);
      item.appendChild(document.createTextNode(kv[1]));
      ctx.appendChild(item);
    });
    document.body.classList.toggle('deficit', P.colorMode === 'deficit');
  }
  function wire() {
    el('reset').addEventListener('click', function () { chart.resetZoom(); state.zoomed = null; decorate(); });
    el('inverted').addEventListener('change', function () { chart.inverted(el('inverted').checked); redraw(false); });
    el('thread').addEventListener('change', function () { state.sel = selectionFor(el('thread').value); redraw(true); });
    el('view').addEventListener('change', function () { state.view = Number(el('view').value); redraw(true); });
    el('search').addEventListener('input', runSearch);
    el('regex').addEventListener('change', runSearch);
    el('icase').addEventListener('change', runSearch);
    el('clear').addEventListener('click', function () { el('search').value = ''; runSearch(); });
    var timer = 0;
    window.addEventListener('resize', function () {
      clearTimeout(timer);
      timer = setTimeout(function () { chart.width(chartWidth()); redraw(false); }, 150);
    });
  }

  fillHeader();
  fillThreads();
  fillViews();
  wire();
  d3.select('#chart').datum(currentData()).call(chart);
  decorate();
  window.perfOrc = { chart: chart, state: state, redraw: redraw };
})();
`
