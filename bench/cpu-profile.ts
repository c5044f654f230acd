/**
 * Top self-time functions of a V8 .cpuprofile (from `node --cpu-prof`).
 *
 * The format (Chrome DevTools Profiler.Profile): `nodes[]` each with `id` and `callFrame`
 * {functionName, url, lineNumber}; `samples[i]` is the node id on top of the stack at sample i and
 * `timeDeltas[i]` the µs between sample i-1 and i. Sample i is charged timeDeltas[i+1], the time
 * until the next sample (the last sample gets the mean). Functions are keyed by name+url+line, so
 * the same function reached through different call paths is summed.
 *
 *   node dist/bench/cpu-profile.js FILE.cpuprofile [TOP]
 */
import { readFileSync } from 'node:fs'
import { basename } from 'node:path'
import { fileURLToPath } from 'node:url'

interface CpuProfile {
  nodes: Array<{ id: number; callFrame: { functionName: string; url: string; lineNumber: number } }>
  samples: number[]
  timeDeltas: number[]
}

export interface HotFunction {
  name: string
  /** "file.js:LINE" (1-based), or "" for V8's pseudo-frames like (garbage collector). */
  location: string
  selfMs: number
  selfPercent: number
}

export function topSelfTime(profile: CpuProfile, top: number): { totalMs: number; functions: HotFunction[] } {
  const keyOfNode = new Map<number, string>()
  const info = new Map<string, { name: string; location: string; selfUs: number }>()
  for (const n of profile.nodes) {
    const cf = n.callFrame
    const location = cf.url ? `${basename(cf.url)}:${cf.lineNumber + 1}` : ''
    const key = `${cf.functionName}\0${location}`
    keyOfNode.set(n.id, key)
    if (!info.has(key)) info.set(key, { name: cf.functionName || '(anonymous)', location, selfUs: 0 })
  }
  const { samples, timeDeltas } = profile
  let totalUs = 0
  for (let i = 1; i < timeDeltas.length; i++) totalUs += Math.max(0, timeDeltas[i]!)
  const meanUs = samples.length > 1 ? totalUs / (samples.length - 1) : 0
  for (let i = 0; i < samples.length; i++) {
    const us = i + 1 < timeDeltas.length ? Math.max(0, timeDeltas[i + 1]!) : meanUs
    const entry = info.get(keyOfNode.get(samples[i]!) ?? '')
    if (entry) entry.selfUs += us
  }
  const total = totalUs + meanUs
  const functions = [...info.values()]
    .sort((a, b) => b.selfUs - a.selfUs)
    .slice(0, top)
    .map((f) => ({ name: f.name, location: f.location, selfMs: f.selfUs / 1000, selfPercent: total > 0 ? (100 * f.selfUs) / total : 0 }))
  return { totalMs: total / 1000, functions }
}

/** Self time summed per script ("dist/unwind/symbols/symbolizer.js", "wasm://wasm/…", or a
 * pseudo-frame name), which shows where a cost spread over many small functions goes. */
export function selfTimeByFile(profile: CpuProfile, top: number): Array<{ file: string; selfMs: number; selfPercent: number }> {
  const fileOfNode = new Map<number, string>()
  for (const n of profile.nodes) {
    const url = n.callFrame.url.replace(/^file:\/\/.*?\/(dist|node_modules)\//, '$1/')
    fileOfNode.set(n.id, url || n.callFrame.functionName)
  }
  const us = new Map<string, number>()
  let total = 0
  for (let i = 0; i < profile.samples.length; i++) {
    const d = Math.max(0, profile.timeDeltas[i + 1] ?? 0)
    const f = fileOfNode.get(profile.samples[i]!) ?? '?'
    us.set(f, (us.get(f) ?? 0) + d)
    total += d
  }
  return [...us]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([file, t]) => ({ file, selfMs: t / 1000, selfPercent: total > 0 ? (100 * t) / total : 0 }))
}

export function byFileMarkdown(rows: Array<{ file: string; selfMs: number; selfPercent: number }>): string {
  const lines = rows.map((r) => `| ${r.file} | ${r.selfMs.toFixed(0)} | ${r.selfPercent.toFixed(1)} % |`)
  return ['| script | self ms | self % |', '|---|---|---|', ...lines].join('\n')
}

export function readCpuProfile(path: string): CpuProfile {
  return JSON.parse(readFileSync(path, 'utf8')) as CpuProfile
}

export function hotFunctionsMarkdown(totalMs: number, functions: HotFunction[]): string {
  const rows = functions.map((f, i) => `| ${i + 1} | \`${f.name}\` | ${f.location} | ${f.selfMs.toFixed(0)} | ${f.selfPercent.toFixed(1)} % |`)
  return [`profiled ${totalMs.toFixed(0)} ms`, '', '| # | function | where | self ms | self % |', '|---|---|---|---|---|', ...rows].join('\n')
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const file = process.argv[2]
  if (!file) {
    process.stderr.write('usage: node dist/bench/cpu-profile.js FILE.cpuprofile [TOP]\n')
    process.exit(64)
  }
  const profile = readCpuProfile(file)
  const { totalMs, functions } = topSelfTime(profile, Number(process.argv[3] ?? 10))
  process.stdout.write(hotFunctionsMarkdown(totalMs, functions) + '\n\n' + byFileMarkdown(selfTimeByFile(profile, 12)) + '\n')
}
