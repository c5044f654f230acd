/**
 * pprof profile.proto (gzipped), written with the pprof-format package so `go tool pprof` reads it.
 * Values per sample: [samples/count, <event>/<unit>] (the period). Locations are per (frame, address),
 * functions per display name (unreliable frames keep "? "), mappings per dso. Identical stacks of one
 * thread are merged through a trie of location ids, so no string key is built per sample or frame.
 */
import { gzipSync } from 'node:zlib'
import { Function as PprofFunction, Label, Location, Mapping, Profile, Sample, StringTable, ValueType } from 'pprof-format'
import type { ResolvedFrame, ResolvedSample } from './model.js'
import { FrameTable } from './frame-table.js'

export interface PprofOptions {
  /** Add pid/tid/comm labels to every sample (default true). */
  labels?: boolean
  /** Unit of the period value; default 'nanoseconds' for *-clock events, else 'count'. */
  periodUnit?: string
  /**
   * Wall clock minus sample clock (ProfileMeta.wallClockOffsetNs). Without it the profile's
   * time_nanos stays 0 ("unknown"): perf's default clock would read as a date in 1970.
   */
  wallClockOffsetNs?: number
}

/** pprof wants u64; an Addr is the signed reading (kernel addresses are negative). */
function u64(addr: number): bigint {
  return BigInt.asUintN(64, BigInt(addr))
}

interface TrieNode {
  children: Map<number, TrieNode>
  count: number
  period: number
}

class PprofTables {
  readonly strings = new StringTable()
  readonly frames = new FrameTable()
  readonly locations: Location[] = []
  readonly functions: PprofFunction[] = []
  readonly mappings: Mapping[] = []
  private readonly locByFrame = new Map<number, Map<number, number>>()
  private readonly fnByName = new Map<string, number>()
  private readonly mapByDso = new Map<string, number>()

  location(fr: ResolvedFrame): number {
    const frameId = this.frames.intern(fr)
    let byAddr = this.locByFrame.get(frameId)
    if (byAddr === undefined) {
      byAddr = new Map()
      this.locByFrame.set(frameId, byAddr)
    }
    let id = byAddr.get(fr.addr)
    if (id === undefined) {
      id = this.locations.length + 1
      const info = this.frames.get(frameId)
      this.locations.push(
        new Location({ id, address: u64(fr.addr), mappingId: this.mapping(fr.dso), line: [{ functionId: this.func(info.name, fr.dso) }] }),
      )
      byAddr.set(fr.addr, id)
    }
    return id
  }

  private func(name: string, dso: string | undefined): number {
    let id = this.fnByName.get(name)
    if (id === undefined) {
      id = this.functions.length + 1
      const n = this.strings.dedup(name)
      this.functions.push(new PprofFunction({ id, name: n, systemName: n, filename: this.strings.dedup(dso ?? '') }))
      this.fnByName.set(name, id)
    }
    return id
  }

  private mapping(dso: string | undefined): number {
    const key = dso ?? '[unknown]'
    let id = this.mapByDso.get(key)
    if (id === undefined) {
      id = this.mappings.length + 1
      this.mappings.push(new Mapping({ id, filename: this.strings.dedup(key), hasFunctions: true }))
      this.mapByDso.set(key, id)
    }
    return id
  }
}

interface ThreadTrie {
  pid: number
  tid: number
  comm: string
  root: TrieNode
}

const newNode = (): TrieNode => ({ children: new Map(), count: 0, period: 0 })

function addToTrie(t: ThreadTrie, locs: PprofTables, s: ResolvedSample): void {
  let node = t.root
  for (const fr of s.frames) {
    const loc = locs.location(fr)
    let next = node.children.get(loc)
    if (next === undefined) {
      next = newNode()
      node.children.set(loc, next)
    }
    node = next
  }
  node.count++
  node.period += s.period
}

/** Every trie node with samples becomes one pprof Sample (path = leaf-first location ids). */
function emitSamples(t: ThreadTrie, labels: Label[], out: Sample[]): void {
  const walk = (node: TrieNode, path: number[]) => {
    if (node.count > 0) out.push(new Sample({ locationId: [...path], value: [node.count, node.period], label: labels }))
    for (const [loc, child] of node.children) {
      path.push(loc)
      walk(child, path)
      path.pop()
    }
  }
  walk(t.root, [])
}

export function toPprof(samples: Iterable<ResolvedSample>, opts: PprofOptions = {}): Profile {
  const tables = new PprofTables()
  const threads = new Map<number, Map<number, ThreadTrie>>()
  let event = ''
  let firstTime = Number.POSITIVE_INFINITY
  let lastTime = 0
  for (const s of samples) {
    event ||= s.eventName
    firstTime = Math.min(firstTime, s.time)
    lastTime = Math.max(lastTime, s.time)
    addToTrie(threadTrie(threads, s), tables, s)
  }
  const st = tables.strings
  const out: Sample[] = []
  for (const byTid of threads.values()) {
    for (const t of byTid.values()) emitSamples(t, opts.labels === false ? [] : threadLabels(st, t), out)
  }
  const unit = opts.periodUnit ?? (/clock/.test(event) ? 'nanoseconds' : 'count')
  const periodType = { type: st.dedup(event || 'period'), unit: st.dedup(unit) }
  return new Profile({
    sampleType: [new ValueType({ type: st.dedup('samples'), unit: st.dedup('count') }), new ValueType(periodType)],
    sample: out,
    location: tables.locations,
    function: tables.functions,
    mapping: tables.mappings,
    stringTable: st,
    periodType: new ValueType(periodType),
    timeNanos: Number.isFinite(firstTime) && opts.wallClockOffsetNs !== undefined ? BigInt(Math.round(firstTime + opts.wallClockOffsetNs)) : 0,
    durationNanos: Number.isFinite(firstTime) ? BigInt(Math.round(lastTime - firstTime)) : 0,
    defaultSampleType: st.dedup(event || 'period'),
  })
}

function threadTrie(threads: Map<number, Map<number, ThreadTrie>>, s: ResolvedSample): ThreadTrie {
  let byTid = threads.get(s.pid)
  if (byTid === undefined) {
    byTid = new Map()
    threads.set(s.pid, byTid)
  }
  let t = byTid.get(s.tid)
  if (t === undefined) {
    t = { pid: s.pid, tid: s.tid, comm: s.comm, root: newNode() }
    byTid.set(s.tid, t)
  }
  return t
}

function threadLabels(st: StringTable, t: ThreadTrie): Label[] {
  return [
    new Label({ key: st.dedup('pid'), num: t.pid }),
    new Label({ key: st.dedup('tid'), num: t.tid }),
    new Label({ key: st.dedup('comm'), str: st.dedup(t.comm) }),
  ]
}

/** The gzipped profile.proto bytes (write them to FILE.pb.gz). */
export function renderPprof(samples: Iterable<ResolvedSample>, opts: PprofOptions = {}): Uint8Array {
  return gzipSync(toPprof(samples, opts).encode())
}
