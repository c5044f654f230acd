/**
 * `perf report --stdio`-like text and its JSON twin. Two tables (by self, then by children), then an
 * "Unwinding summary" so a reader sees at once how much of the profile rests on guesses.
 */
import type { ProfileMeta, ResolvedSample } from './model.js'
import { kindMarker } from './frame-label.js'
import {
  SymbolAccumulator,
  summarizeUnwinding,
  topRows,
  type ReportOptions,
  type SymbolRow,
  type UnwindSummary,
} from './report-data.js'

export type { ReportOptions, SymbolRow, UnwindSummary } from './report-data.js'

export interface ReportJson extends UnwindSummary {
  weight: 'period' | 'samples'
  totalWeight: number
  events: string[]
  hostname?: string
  osRelease?: string
  cmdline?: string
  topSelf: SymbolRow[]
  topChildren: SymbolRow[]
}

/** Everything the text report prints, as one JSON-able object. */
export function reportJson(samples: Iterable<ResolvedSample>, meta: ProfileMeta, opts: ReportOptions = {}): ReportJson {
  const weight = opts.weight ?? 'period'
  const limit = opts.limit ?? 50
  const list = Array.isArray(samples) ? (samples as ResolvedSample[]) : [...samples]
  const acc = new SymbolAccumulator()
  const events = new Set<string>()
  for (const s of list) {
    acc.add(s, weight === 'samples' ? 1 : s.period)
    events.add(s.eventName)
  }
  const rows = acc.rows()
  const out: ReportJson = {
    ...summarizeUnwinding(list, meta, opts.counts),
    weight,
    totalWeight: acc.totalWeight,
    events: [...events].sort(),
    topSelf: topRows(rows, 'selfWeight', limit),
    topChildren: topRows(rows, 'childrenWeight', limit),
  }
  if (meta.hostname !== undefined) out.hostname = meta.hostname
  if (meta.osRelease !== undefined) out.osRelease = meta.osRelease
  if (meta.cmdline !== undefined) out.cmdline = meta.cmdline
  return out
}

/** The text report for these samples. */
export function reportText(samples: Iterable<ResolvedSample>, meta: ProfileMeta, opts: ReportOptions = {}): string {
  return formatReport(reportJson(samples, meta, opts))
}

/** Render an already computed report (lets the CLI print and save JSON from one pass). */
export function formatReport(r: ReportJson): string {
  const lines: string[] = []
  lines.push(...headerLines(r), '#')
  lines.push(...table(r.topSelf, false), '')
  lines.push(...table(r.topChildren, true), '')
  lines.push(...summaryLines(r))
  return lines.join('\n') + '\n'
}

function headerLines(r: ReportJson): string[] {
  const lines = [`# Samples: ${r.samples}  of event${r.events.length === 1 ? '' : 's'} '${r.events.join("', '")}'`]
  lines.push(`# ${r.weight === 'period' ? 'Event count (approx.)' : 'Sample count'}: ${r.totalWeight}`)
  if (r.hostname !== undefined) lines.push(`# hostname: ${r.hostname}`)
  if (r.osRelease !== undefined) lines.push(`# os release: ${r.osRelease}`)
  if (r.cmdline !== undefined) lines.push(`# cmdline: ${r.cmdline}`)
  return lines
}

const pct = (p: number) => `${p.toFixed(2)}%`

/** One perf-style table; `children` adds the inclusive column first and sorts by it. */
function table(rows: SymbolRow[], children: boolean): string[] {
  const heads = children ? ['Children', 'Self', 'Command', 'Shared Object', 'Symbol'] : ['Overhead', 'Command', 'Shared Object', 'Symbol']
  const body = rows.map((r) => {
    const cells = [pct(r.selfPercent), r.comm, r.dso, `${kindMarker(r.kind)} ${r.symbol}`]
    return children ? [pct(r.childrenPercent), ...cells] : cells
  })
  const widths = heads.map((h, i) => Math.max(h.length, ...body.map((cells) => cells[i]!.length)))
  const numeric = children ? 2 : 1
  const fmt = (cells: string[], lead: string) =>
    (lead + cells.map((c, i) => (i < numeric ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ')).trimEnd()
  const title = children ? '# Top symbols by children (inclusive)' : '# Top symbols by self'
  const dots = widths.map((w) => '.'.repeat(w))
  return [title, '#', fmt(heads, '# '), fmt(dots, '# '), '#', ...body.map((cells) => fmt(cells, '  '))]
}

function share(n: number, of: number): string {
  return of > 0 ? `${n} (${((100 * n) / of).toFixed(2)}%)` : `${n}`
}

/** "4 binaries, 1736 FDEs compiled (9120 rows), 0 rows not expressible (gaps)" plus any reasons. */
function tableLine(t: Record<string, number>): string {
  const n = (k: string): number => t[k] ?? 0
  let line = `${n('binaries')} binaries`
  if (n('fromCache') > 0 && n('fromCache') === n('binaries')) return `${line}, all from the table cache`
  if (n('fromCache') > 0) line += ` (${n('fromCache')} from cache)`
  line += `, ${n('fdes')} FDEs compiled (${n('rows')} rows), ${n('rowsUnexpressible')} rows not expressible (gaps)`
  const shown = new Set(['binaries', 'fromCache', 'fdes', 'rows', 'rowsUnexpressible', 'pltRows', 'signalFrames', 'endOfStackRows'])
  const other = Object.entries(t).filter(([k]) => !shown.has(k))
  if (other.length > 0) line += `; ${other.map(([k, v]) => `${k} ${v}`).join(', ')}`
  return line
}

function summaryLines(r: UnwindSummary): string[] {
  const rows: Array<[string, string]> = [
    ['samples', `${r.samples}`],
    ['rooted (stack reached the root)', share(r.rootedSamples, r.samples)],
    ['with unreliable frames ("? ")', share(r.samplesWithUnreliableFrames, r.samples)],
    ['stack copy too short (truncated)', share(r.truncatedStackSamples, r.samples)],
    ['fake registers (tracepoint/software)', share(r.fakeRegsSamples, r.samples)],
    ['lost samples', `${r.lostSamples}`],
  ]
  if (r.walkEnds !== undefined) {
    const ends = Object.entries(r.walkEnds).sort((a, b) => b[1] - a[1])
    rows.push(['user stack walks ended by', ends.map(([k, n]) => `${k} ${n}`).join(', ')])
  }
  if (r.unwindTables !== undefined) rows.push(['unwind tables', tableLine(r.unwindTables)])
  if (r.unknownRecords > 0) rows.push(['unknown records skipped', `${r.unknownRecords}`])
  if (r.readError !== undefined) rows.push(['read stopped early', r.readError])
  const w = Math.max(...rows.map(([k]) => k.length))
  const out = ['# Unwinding summary', '#', ...rows.map(([k, v]) => `#   ${(k + ':').padEnd(w + 1)} ${v}`)]
  if (r.samples > 0 && r.truncatedStackSamples >= r.samples * TRUNCATED_HINT_SHARE) out.push('#', ...TRUNCATED_HINT)
  return out
}

/** From this share of samples with a cut-short stack copy on, the summary says how to avoid it. */
const TRUNCATED_HINT_SHARE = 0.1
const TRUNCATED_HINT = [
  '# Hint: the user-stack copies (perf record --call-graph dwarf,SIZE; 8192 bytes by default) were',
  '#       too short for these stacks. Record with a larger SIZE, up to 65528.',
]
