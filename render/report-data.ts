/**
 * The numbers behind `perf report`-style output: top symbols by self and by children (inclusive), and
 * the unwinding summary. Keyed like perf's default sort (comm, dso, sym); frames are interned so the
 * per-frame work is an id lookup plus a generation stamp to count each symbol once per sample.
 */
import type { PipelineCounts, ProfileMeta, ResolvedFrame, ResolvedSample } from './model.js'
import { FrameTable, type FrameKey } from './frame-table.js'
import type { WeightMode } from './call-tree.js'
import { dsoShortName } from './frame-label.js'
import { addrHex } from '../parsers/common/addr.js'

export interface SymbolRow {
  /** Self weight / total weight × 100. */
  selfPercent: number
  /** Inclusive weight / total weight × 100 (a symbol counts once per sample, recursion or not). */
  childrenPercent: number
  selfWeight: number
  childrenWeight: number
  comm: string
  /** Short name (basename) of the shared object. */
  dso: string
  /** Display name: "? " first when unreliable. */
  symbol: string
  kind: FrameKey['kind']
  reliability: FrameKey['reliability']
}

export interface UnwindSummary {
  samples: number
  rootedSamples: number
  samplesWithUnreliableFrames: number
  truncatedStackSamples: number
  fakeRegsSamples: number
  lostSamples: number
  unknownRecords: number
  readError?: string
  /** How user-stack walks ended, by reason (dwarf recordings). */
  walkEnds?: Record<string, number>
  /** Unwind tables used and what their CFI could not express (PipelineCounts.unwindTables). */
  unwindTables?: Record<string, number>
}

export interface ReportOptions {
  weight?: WeightMode
  /** Rows per table (default 50). */
  limit?: number
  counts?: PipelineCounts
}

interface Acc {
  self: number
  children: number
  stamp: number
}

const NO_FRAME: FrameKey = { symbol: undefined, dso: undefined, kind: 'unknown', reliability: 'reliable' }

/** Per (comm, frame) accumulation over all samples. */
export class SymbolAccumulator {
  readonly frames = new FrameTable()
  readonly byComm = new Map<string, Map<number, Acc>>()
  totalWeight = 0
  private generation = 0
  /** Row id of each interned unnamed frame (by ResolvedFrame.id). */
  private readonly unnamed = new Map<number, number>()

  add(s: ResolvedSample, w: number): void {
    this.totalWeight += w
    this.generation++
    let perFrame = this.byComm.get(s.comm)
    if (perFrame === undefined) {
      perFrame = new Map()
      this.byComm.set(s.comm, perFrame)
    }
    const leaf = s.frames[0]
    this.acc(perFrame, leaf ? this.idOf(leaf) : this.frames.intern(NO_FRAME)).self += w
    if (s.frames.length === 0) this.acc(perFrame, this.frames.intern(NO_FRAME)).children += w
    for (const fr of s.frames) {
      const a = this.acc(perFrame, this.idOf(fr))
      if (a.stamp === this.generation) continue
      a.stamp = this.generation
      a.children += w
    }
  }

  rows(): SymbolRow[] {
    const rows: SymbolRow[] = []
    const pct = (w: number) => (this.totalWeight > 0 ? (100 * w) / this.totalWeight : 0)
    for (const [comm, perFrame] of this.byComm) {
      for (const [id, a] of perFrame) {
        const fr = this.frames.get(id)
        rows.push({
          selfPercent: pct(a.self),
          childrenPercent: pct(a.children),
          selfWeight: a.self,
          childrenWeight: a.children,
          comm,
          dso: dsoShortName(fr.dso),
          symbol: fr.name,
          kind: fr.kind,
          reliability: fr.reliability,
        })
      }
    }
    return rows
  }

  /**
   * A frame's row. perf report lists code no symbol names by its address, one row each
   * ("0x0000000000004e84", the address perf script prints), not as one [unknown] for the binary:
   * a stripped binary's static functions would otherwise sum to a single row that tops the report.
   */
  private idOf(fr: ResolvedFrame): number {
    if (fr.symbol !== undefined) return this.frames.intern(fr)
    const cached = fr.id === undefined ? undefined : this.unnamed.get(fr.id)
    if (cached !== undefined) return cached
    const id = this.frames.intern({ symbol: `0x${(fr.addrHex ?? addrHex(fr.relAddr)).padStart(16, '0')}`, dso: fr.dso, kind: fr.kind, reliability: fr.reliability })
    if (fr.id !== undefined) this.unnamed.set(fr.id, id)
    return id
  }

  private acc(perFrame: Map<number, Acc>, id: number): Acc {
    let a = perFrame.get(id)
    if (a === undefined) {
      a = { self: 0, children: 0, stamp: 0 }
      perFrame.set(id, a)
    }
    return a
  }
}

/** Tie-break by name so output is stable across runs. */
function byWeight(key: 'selfWeight' | 'childrenWeight') {
  return (a: SymbolRow, b: SymbolRow) =>
    b[key] - a[key] || a.symbol.localeCompare(b.symbol) || a.comm.localeCompare(b.comm) || a.dso.localeCompare(b.dso)
}

export function topRows(rows: SymbolRow[], key: 'selfWeight' | 'childrenWeight', limit: number): SymbolRow[] {
  return rows
    .filter((r) => r[key] > 0)
    .sort(byWeight(key))
    .slice(0, limit)
}

export function summarizeUnwinding(samples: readonly ResolvedSample[], meta: ProfileMeta, counts?: PipelineCounts): UnwindSummary {
  const sum: UnwindSummary = {
    samples: samples.length,
    rootedSamples: 0,
    samplesWithUnreliableFrames: 0,
    truncatedStackSamples: 0,
    fakeRegsSamples: 0,
    lostSamples: counts?.lostSamples ?? meta.lostSamples,
    unknownRecords: counts?.unknownRecords ?? 0,
  }
  if (counts?.readError !== undefined) sum.readError = counts.readError
  if (counts?.walkEnds !== undefined) sum.walkEnds = counts.walkEnds
  if (counts?.unwindTables !== undefined) sum.unwindTables = counts.unwindTables
  for (const s of samples) {
    if (s.rooted) sum.rootedSamples++
    if (s.stackTruncated) sum.truncatedStackSamples++
    if (s.fakeRegs) sum.fakeRegsSamples++
    if (s.frames.some((fr) => fr.reliability !== 'reliable')) sum.samplesWithUnreliableFrames++
  }
  return sum
}
