/**
 * FP walk vs ORC unwind, per sample. Both stacks start at the same sampled IP (leaf first), so the
 * interesting number is how far they agree from the leaf: `common`. From it:
 *   identical   same length, all addresses equal
 *   fpShorter   FP is a strict prefix of ORC: the frame-pointer chain ended early
 *   orcShorter  ORC is a strict prefix of FP
 *   differ      they part ways at some frame (typically FP skipped the caller of a function that
 *               does not set up %rbp)
 * Where FP breaks is attributed to the last FP frame (fpShorter) or to the ORC frame at the split
 * (differ), the frame FP lost. The differential flamegraph draws ORC stacks (widths) coloured by how
 * much of each node's weight the FP walk lost.
 */
import type { Addr } from '../parsers/common/addr.js'
import type { FrameKind, ProfileMeta, Reliability } from './model.js'
import { CallTreeBuilder, type WeightMode } from './call-tree.js'
import { FrameTable, type FrameKey } from './frame-table.js'
import { dsoShortName, frameDisplayName } from './frame-label.js'
import { buildPayload } from './flamegraph-payload.js'
import { metaContext, renderPayloadHtml } from './flamegraph-html.js'

export interface CompareFrame {
  addr: Addr
  symbol: string | undefined
  dso?: string
  /** Default: kernel for kernel-half (negative) addresses, else user. */
  kind?: FrameKind
  reliability?: Reliability
}

export interface CompareSample {
  pid: number
  tid: number
  comm: string
  period?: number
  /** Frame-pointer walk, leaf first. */
  fp: readonly CompareFrame[]
  /** ORC unwind, leaf first. */
  orc: readonly CompareFrame[]
}

export type CompareOutcome = 'identical' | 'fpShorter' | 'orcShorter' | 'differ'

export interface CompareCounts {
  samples: number
  identical: number
  fpShorter: number
  orcShorter: number
  differ: number
}

export interface BreakRow {
  /** Display name ("? " first when unreliable). */
  function: string
  dso: string
  count: number
  /** Of all compared samples. */
  percent: number
}

export interface CompareResult extends CompareCounts {
  /** Where the FP chain breaks most often: last FP frame (fpShorter) or the ORC frame FP lost (differ). */
  fpBreaks: BreakRow[]
  /** Where ORC stopped while FP went on (orcShorter): ORC's last frame. */
  orcBreaks: BreakRow[]
}

export interface CompareOptions {
  /** Rows per break table (default 20). */
  limit?: number
  /** Width of the differential flamegraph; default 'samples' (a period is optional here). */
  weight?: WeightMode
  title?: string
  minFrameSize?: number
}

/** Number of leading (leaf-side) frames with equal addresses. */
export function commonLeafFrames(fp: readonly CompareFrame[], orc: readonly CompareFrame[]): number {
  const n = Math.min(fp.length, orc.length)
  let i = 0
  while (i < n && fp[i]!.addr === orc[i]!.addr) i++
  return i
}

export function classifyStacks(fp: readonly CompareFrame[], orc: readonly CompareFrame[]): CompareOutcome {
  const common = commonLeafFrames(fp, orc)
  if (common === fp.length && common === orc.length) return 'identical'
  if (common === fp.length) return 'fpShorter'
  if (common === orc.length) return 'orcShorter'
  return 'differ'
}

class BreakCounter {
  private readonly rows = new Map<string, { function: string; dso: string; count: number }>()

  add(fr: CompareFrame | undefined): void {
    if (fr === undefined) return
    const name = frameDisplayName(fr.symbol, fr.reliability ?? 'reliable')
    const dso = dsoShortName(fr.dso)
    const key = name + '\u0000' + dso
    const row = this.rows.get(key)
    if (row === undefined) this.rows.set(key, { function: name, dso, count: 1 })
    else row.count++
  }

  top(total: number, limit: number): BreakRow[] {
    return [...this.rows.values()]
      .sort((a, b) => b.count - a.count || a.function.localeCompare(b.function))
      .slice(0, limit)
      .map((r) => ({ ...r, percent: total > 0 ? (100 * r.count) / total : 0 }))
  }
}

/** Counts and break tables: the JSON-able comparison result. */
export function compareJson(samples: Iterable<CompareSample>, opts: CompareOptions = {}): CompareResult {
  const counts: CompareCounts = { samples: 0, identical: 0, fpShorter: 0, orcShorter: 0, differ: 0 }
  const fpBreaks = new BreakCounter()
  const orcBreaks = new BreakCounter()
  for (const s of samples) {
    counts.samples++
    const outcome = classifyStacks(s.fp, s.orc)
    counts[outcome]++
    if (outcome === 'fpShorter') fpBreaks.add(s.fp[s.fp.length - 1])
    else if (outcome === 'differ') fpBreaks.add(s.orc[commonLeafFrames(s.fp, s.orc)])
    else if (outcome === 'orcShorter') orcBreaks.add(s.orc[s.orc.length - 1])
  }
  const limit = opts.limit ?? 20
  return { ...counts, fpBreaks: fpBreaks.top(counts.samples, limit), orcBreaks: orcBreaks.top(counts.samples, limit) }
}

function share(n: number, of: number): string {
  return `${String(n).padStart(8)}  ${(of > 0 ? (100 * n) / of : 0).toFixed(2).padStart(6)}%`
}

function breakTable(title: string, rows: BreakRow[]): string[] {
  if (rows.length === 0) return [title, '  (none)']
  const w = Math.max(8, ...rows.map((r) => r.function.length))
  return [
    title,
    `  ${'samples'.padStart(8)}  ${'share'.padStart(7)}  ${'function'.padEnd(w)}  shared object`,
    ...rows.map((r) => `  ${share(r.count, 0).slice(0, 8)}  ${r.percent.toFixed(2).padStart(6)}%  ${r.function.padEnd(w)}  ${r.dso}`),
  ]
}

/** Text rendering of a comparison result. */
export function compareText(r: CompareResult): string {
  const lines = [
    `FP walk vs ORC unwind: ${r.samples} samples`,
    `  identical    ${share(r.identical, r.samples)}`,
    `  FP shorter   ${share(r.fpShorter, r.samples)}   (frame-pointer chain ended early)`,
    `  ORC shorter  ${share(r.orcShorter, r.samples)}`,
    `  differ       ${share(r.differ, r.samples)}   (stacks part ways below the leaf)`,
    '',
    ...breakTable('Where the FP chain breaks (last FP frame, or the ORC frame FP lost):', r.fpBreaks),
    '',
    ...breakTable('Where ORC stopped before FP:', r.orcBreaks),
  ]
  return lines.join('\n') + '\n'
}

function asFrameKey(fr: CompareFrame): FrameKey {
  if (fr.kind !== undefined && fr.reliability !== undefined) return fr as FrameKey
  return { symbol: fr.symbol, dso: fr.dso, kind: fr.kind ?? (fr.addr < 0 ? 'kernel' : 'user'), reliability: fr.reliability ?? 'reliable' }
}

/**
 * Differential flamegraph: widths from the ORC stacks; each node's colour is the share of its weight
 * whose FP walk did not reach it (white: FP kept it, red: FP lost it). A second view reverses the
 * stacks (leaf at the bottom) to show which callees lose their callers.
 */
export function renderCompareHtml(samples: Iterable<CompareSample>, meta: ProfileMeta, opts: CompareOptions = {}): string {
  const frames = new FrameTable()
  const weight = opts.weight ?? 'samples'
  const fwd = new CallTreeBuilder({ weight, frames })
  const rev = new CallTreeBuilder({ weight, frames, reversed: true })
  for (const s of samples) {
    const orc = s.orc.map(asFrameKey)
    const lostFrom = commonLeafFrames(s.fp, s.orc)
    fwd.addStack(orc, s, s.period ?? 1, lostFrom)
    rev.addStack(orc, s, s.period ?? 1, lostFrom)
  }
  const tree = fwd.finish()
  const payload = buildPayload(
    [
      { label: 'ORC call tree (root at the bottom)', tree },
      { label: 'Reversed (leaf at the bottom)', tree: rev.finish() },
    ],
    {
      title: opts.title ?? 'FP walk vs ORC unwind: widths from ORC, red = lost by the FP walk',
      context: metaContext(meta, tree),
      colorMode: 'deficit',
      markedLabel: 'lost by the FP walk',
      rootName: 'all (ORC)',
      ...(opts.minFrameSize !== undefined ? { minFrameSize: opts.minFrameSize } : {}),
    },
  )
  return renderPayloadHtml(payload)
}
