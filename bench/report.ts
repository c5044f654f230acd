/**
 * Medians and the Markdown tables printed by bench/run.ts. Pure functions over the results, so the
 * same data goes to stdout and to bench/out/results.json.
 */
import type { Measurement } from './measure.js'
import type { RootCount } from './roots.js'

export type ToolId = 'orc-nocache' | 'orc-warm' | 'perf' | 'hotspot'

export interface ToolResult {
  id: ToolId
  /** The command as run, with the recording path. */
  command: string
  runs: Measurement[]
  medianWallSeconds: number
  minWallSeconds: number
  maxWallSeconds: number
  medianPeakRssMb: number
  /** Median user + system CPU seconds. */
  medianCpuSeconds: number
  failedRuns: number
  /** First error line of a failed run, or why the tool was skipped. */
  note?: string
}

export interface RecordingResult {
  name: string
  path: string
  bytes: number
  runsPerCommand: number
  loadAverageBefore: number[]
  loadAverageAfter: number[]
  tools: ToolResult[]
  /** From `perf-orc report --format json`. */
  perfOrcRoots: RootCount
  /** From the sample blocks of `perf-orc script` and of `perf script --no-inline`. */
  perfOrcStacks: RootCount
  perfRoots: RootCount
}

export function median(xs: number[]): number {
  if (xs.length === 0) return NaN
  const s = [...xs].sort((a, b) => a - b)
  const mid = s.length >> 1
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2
}

export function summarize(id: ToolId, command: string, runs: Measurement[], note?: string): ToolResult {
  const ok = runs.filter((r) => r.status === 0)
  const use = ok.length > 0 ? ok : runs
  const walls = use.map((r) => r.wallSeconds)
  const failed = runs.length - ok.length
  const firstError = runs.find((r) => r.status !== 0)?.error
  const warning = runs.find((r) => r.warning)?.warning
  return {
    id,
    command,
    runs,
    medianWallSeconds: median(walls),
    minWallSeconds: walls.length ? Math.min(...walls) : NaN,
    maxWallSeconds: walls.length ? Math.max(...walls) : NaN,
    medianPeakRssMb: median(use.map((r) => r.peakRssMb)),
    medianCpuSeconds: median(use.map((r) => r.cpuSeconds)),
    failedRuns: failed,
    note: note ?? (failed > 0 ? `${failed}/${runs.length} runs failed: ${firstError}` : warning ? `exit 0, but stderr says: ${warning}` : undefined),
  }
}

const fmtS = (x: number | undefined): string => (x === undefined || Number.isNaN(x) ? '—' : x.toFixed(3))
const fmtMb = (x: number | undefined): string => (x === undefined || Number.isNaN(x) ? '—' : x.toFixed(0))
const ratio = (a: number | undefined, b: number | undefined): string =>
  a === undefined || b === undefined || !(b > 0) || Number.isNaN(a) ? '—' : `${(a / b).toFixed(2)}×`
const rooted = (r: RootCount): string =>
  r.error && r.samples === 0 ? 'error' : `${r.rootedSamples}/${r.samples} (${((100 * r.rootedSamples) / Math.max(1, r.samples)).toFixed(1)} %)`

function tool(r: RecordingResult, id: ToolId): ToolResult | undefined {
  const t = r.tools.find((x) => x.id === id)
  return t && !(t.failedRuns === t.runs.length && t.runs.length > 0) && t.runs.length > 0 ? t : undefined
}

/** One row per recording: medians of wall time and RSS, the ratios, and stack quality. */
export function summaryTable(results: RecordingResult[]): string {
  const head = [
    '| recording | MB | samples | runs | orc no-cache s | orc warm s | perf s | hotspot s | no-cache ×perf | no-cache ×hotspot | warm ×perf | warm ×hotspot | orc RSS MB | perf RSS MB | hotspot RSS MB | rooted perf-orc | rooted perf | frames/sample perf-orc / perf |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ]
  const rows = results.map((r) => {
    const [nc, warm, perf, hs] = (['orc-nocache', 'orc-warm', 'perf', 'hotspot'] as const).map((id) => tool(r, id))
    const cells = [
      r.name,
      (r.bytes / 1e6).toFixed(1),
      String(r.perfRoots.samples || r.perfOrcRoots.samples),
      String(r.runsPerCommand),
      fmtS(nc?.medianWallSeconds),
      fmtS(warm?.medianWallSeconds),
      fmtS(perf?.medianWallSeconds),
      fmtS(hs?.medianWallSeconds),
      ratio(nc?.medianWallSeconds, perf?.medianWallSeconds),
      ratio(nc?.medianWallSeconds, hs?.medianWallSeconds),
      ratio(warm?.medianWallSeconds, perf?.medianWallSeconds),
      ratio(warm?.medianWallSeconds, hs?.medianWallSeconds),
      fmtMb(nc?.medianPeakRssMb),
      fmtMb(perf?.medianPeakRssMb),
      fmtMb(hs?.medianPeakRssMb),
      rooted(r.perfOrcRoots),
      rooted(r.perfRoots),
      `${r.perfOrcStacks.meanFrames?.toFixed(1) ?? '—'} / ${r.perfRoots.meanFrames?.toFixed(1) ?? '—'}`,
    ]
    return `| ${cells.join(' | ')} |`
  })
  return [...head, ...rows].join('\n')
}

/** Per recording: every command with min–max, RSS ratios, load average and notes. */
export function detailTable(r: RecordingResult): string {
  const perf = tool(r, 'perf')
  const hs = tool(r, 'hotspot')
  const load = (l: number[]): string => l.map((x) => x.toFixed(2)).join(' ')
  const lines = [
    `#### ${r.name} (${(r.bytes / 1e6).toFixed(1)} MB, ${r.runsPerCommand} interleaved runs; load average ${load(r.loadAverageBefore)} → ${load(r.loadAverageAfter)})`,
    '',
    '| command | median wall s | min–max s | median CPU s | median peak RSS MB | wall ×perf | wall ×hotspot | CPU ×perf | CPU ×hotspot | RSS ×perf | RSS ×hotspot |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ]
  for (const t of r.tools) {
    const cells = [
      `\`${t.command}\``,
      fmtS(t.medianWallSeconds),
      `${fmtS(t.minWallSeconds)}–${fmtS(t.maxWallSeconds)}`,
      fmtS(t.medianCpuSeconds),
      fmtMb(t.medianPeakRssMb),
      ratio(t.medianWallSeconds, perf?.medianWallSeconds),
      ratio(t.medianWallSeconds, hs?.medianWallSeconds),
      ratio(t.medianCpuSeconds, perf?.medianCpuSeconds),
      ratio(t.medianCpuSeconds, hs?.medianCpuSeconds),
      ratio(t.medianPeakRssMb, perf?.medianPeakRssMb),
      ratio(t.medianPeakRssMb, hs?.medianPeakRssMb),
    ]
    lines.push(`| ${cells.join(' | ')} |`)
  }
  const notes = r.tools.filter((t) => t.note).map((t) => `- ${t.id}: ${t.note}`)
  for (const [who, rc] of [['perf-orc report', r.perfOrcRoots], ['perf-orc script (stack count)', r.perfOrcStacks], ['perf script (stack count)', r.perfRoots]] as const) {
    if (rc.error) notes.push(`- ${who}: ${rc.error}`)
  }
  const depth = (rc: RootCount): string =>
    `${rooted(rc)} rooted, ${rc.meanFrames?.toFixed(1) ?? '—'} frames/sample, ${rc.pastJitSamples ?? '—'} samples unwound past a JIT frame`
  lines.push('', `stacks — perf-orc script: ${depth(r.perfOrcStacks)}; perf script: ${depth(r.perfRoots)}`)
  return [...lines, ...(notes.length ? ['', ...notes] : [])].join('\n')
}

export interface LinearityRow {
  name: string
  bytes: number
  runs: number
  medianWallSeconds: number
  medianCpuSeconds: number
  medianPeakRssMb: number
  secondsPerMb: number
  loadAverageAfter: number[]
}

export function linearityTable(rows: LinearityRow[], floorSeconds: number, rssLimitMb: number): string {
  const lines = [
    `| recording | MB | runs | median wall s | wall per MB | (wall − floor) per MB | median CPU s | CPU per MB | peak RSS MB | RSS < ${rssLimitMb} MB |`,
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---|',
  ]
  const perMb = (seconds: number, mb: number): string => `${((seconds / mb) * 1000).toFixed(2)} ms`
  for (const r of rows) {
    const mb = r.bytes / 1e6
    const cells = [
      r.name,
      mb.toFixed(1),
      String(r.runs),
      fmtS(r.medianWallSeconds),
      perMb(r.medianWallSeconds, mb),
      perMb(r.medianWallSeconds - floorSeconds, mb),
      fmtS(r.medianCpuSeconds),
      perMb(r.medianCpuSeconds, mb),
      fmtMb(r.medianPeakRssMb),
      r.medianPeakRssMb < rssLimitMb ? 'yes' : '**NO**',
    ]
    lines.push(`| ${cells.join(' | ')} |`)
  }
  const [a, b] = rows
  if (a && b && b.bytes !== a.bytes) {
    const dMb = (b.bytes - a.bytes) / 1e6
    lines.push(
      '',
      `marginal cost from ${a.name} to ${b.name}: wall ${perMb(b.medianWallSeconds - a.medianWallSeconds, dMb)}/MB, ` +
        `CPU ${perMb(b.medianCpuSeconds - a.medianCpuSeconds, dMb)}/MB; wall ratio ${(b.medianWallSeconds / a.medianWallSeconds).toFixed(2)}× ` +
        `for a size ratio of ${(b.bytes / a.bytes).toFixed(2)}×; floor (perf-orc header on ${a.name}) ${floorSeconds.toFixed(3)} s`,
    )
  }
  return lines.join('\n')
}
