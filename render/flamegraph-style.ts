/**
 * Static markup pieces of the flamegraph page: CSS, the hatch patterns for unreliable frames and the
 * legend. Nothing here contains recorded text.
 */

/** Base colour of each kind's hatch (a lighter, greyer version of the kind's normal hue). */
const HATCH: Record<string, [string, string]> = {
  kernel: ['#dfe6f0', '#7f9cc8'],
  user: ['#f2e0d6', '#c98a6a'],
  jit: ['#dcefdc', '#7fb87f'],
  unknown: ['#e4e4e4', '#9a9a9a'],
  root: ['#e4e4e4', '#9a9a9a'],
}

/** <pattern id="unrel-KIND">: diagonal stripes over a desaturated fill, referenced as url(#unrel-KIND). */
export function hatchPatterns(): string {
  const defs = Object.entries(HATCH).map(
    ([kind, [bg, fg]]) =>
      `<pattern id="unrel-${kind}" patternUnits="userSpaceOnUse" width="6" height="6" patternTransform="rotate(45)">` +
      `<rect width="6" height="6" fill="${bg}"/><line x1="0" y1="0" x2="0" y2="6" stroke="${fg}" stroke-width="3"/></pattern>`,
  )
  return `<svg id="patterns" width="0" height="0" aria-hidden="true" style="position:absolute"><defs>${defs.join('')}</defs></svg>`
}

function swatch(fill: string, text: string): string {
  return `<span class="swatch"><svg width="14" height="12"><rect width="14" height="12" fill="${fill}"/></svg>${text}</span>`
}

export function legendHtml(colorMode: 'kind' | 'deficit'): string {
  if (colorMode === 'deficit') {
    return [
      swatch('rgb(235,235,235)', 'FP walk kept'),
      swatch('rgb(227,135,135)', 'FP lost some'),
      swatch('rgb(220,35,35)', 'FP lost all'),
      swatch('url(#unrel-unknown)', 'unreliable (dashed)'),
    ].join('')
  }
  return [
    swatch('rgb(240,140,60)', 'user'),
    swatch('rgb(115,175,242)', 'kernel'),
    swatch('rgb(95,222,100)', 'JIT'),
    swatch('rgb(190,190,190)', 'unknown'),
    swatch('url(#unrel-user)', '? unreliable'),
  ].join('')
}

export const PAGE_CSS = `
body { font-family: Verdana, Arial, sans-serif; margin: 0; padding: 8px 12px; background: #fafafa; color: #222; }
header h1 { font-size: 18px; margin: 4px 0; word-break: break-all; }
#context { font-size: 12px; color: #444; display: flex; flex-wrap: wrap; gap: 4px 16px; margin-bottom: 6px; }
#context span { white-space: pre-wrap; word-break: break-all; }
#controls { display: flex; flex-wrap: wrap; align-items: center; gap: 6px 10px; font-size: 13px; margin: 6px 0; }
#controls select, #controls input[type=search], #controls button { font-size: 13px; }
#search { width: 220px; }
#search.invalid { outline: 2px solid #d00; background: #fff0f0; }
#search-status { min-width: 120px; color: #555; }
#search-status.invalid { color: #c00; font-weight: bold; }
#legend { display: inline-flex; gap: 10px; font-size: 12px; }
.swatch { display: inline-flex; align-items: center; gap: 3px; }
.swatch svg { border: 1px solid #bbb; }
#chart { width: 100%; overflow-x: hidden; }
#details { font-size: 12px; min-height: 16px; margin-top: 4px; color: #333; white-space: pre; overflow: hidden; text-overflow: ellipsis; }
#tooltip { position: absolute; display: none; pointer-events: none; background: #1d1d1d; color: #fff; font-size: 12px;
  padding: 6px 9px; border-radius: 3px; max-width: 640px; z-index: 10; word-break: break-all; }
#tooltip .tip-name { font-weight: bold; margin-bottom: 2px; }
#tooltip .tip-unreliable { color: #ffb35c; }
.d3-flame-graph g.unreliable .d3-flame-graph-label { font-style: italic; color: #333; }
body.deficit .d3-flame-graph rect.unreliable { stroke: #555; stroke-dasharray: 3 2; stroke-width: 1; }
footer { font-size: 10px; color: #888; margin-top: 12px; }
`
