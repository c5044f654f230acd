/**
 * perf-orc benchmark: wall time and peak RSS of `perf-orc script` against `perf script` and
 * hotspot-perfparser on the same recordings, run interleaved (A B C D A B C D ...) so that load
 * from other work on the machine falls on every command alike. See bench/README.md.
 *
 *   npm run bench -- [--runs N] [--large] [--rerecord] [--linearity] [--profile] ...
 *   node dist/bench/run.js --help
 */
import { mkdirSync, writeFileSync, existsSync, rmSync, readdirSync } from 'node:fs'
import { loadavg, cpus } from 'node:os'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { spawnSync } from 'node:child_process'
import { measure, rssMethod, type Measurement, type RssMethod } from './measure.js'
import { fixtureRecordings, mb, prepareV8Recording, v8Recording, type Recording } from './recordings.js'
import { perfOrcRootCount, scriptStackStats } from './roots.js'
import { detailTable, linearityTable, median, summarize, summaryTable, type LinearityRow, type RecordingResult, type ToolId, type ToolResult } from './report.js'
import { cfiStages, stagesTable } from './stages.js'
import { warmPasses, warmTable } from './warm.js'
import { byFileMarkdown, hotFunctionsMarkdown, readCpuProfile, selfTimeByFile, topSelfTime } from './cpu-profile.js'

const HOTSPOT = '/usr/lib/x86_64-linux-gnu/libexec/hotspot-perfparser'
/** The perf-orc bin (the bundle `npm run build` writes), relative to the repository. */
const PERF_ORC = 'dist/perf-orc.mjs'
const RSS_LIMIT_MB = 300
const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..')
const OUT = join(REPO, 'bench', 'out')

const USAGE = `usage: node dist/bench/run.js [options]   (or: npm run bench -- [options])

Records V8 workloads (cached), then times perf-orc script (--no-cache and warm cache), perf script
--no-inline and hotspot-perfparser on each recording, interleaved, and prints Markdown tables.
Results go to bench/out/results.json (linearity: bench/out/linearity.json).

  --dir DIR            recordings cache (default $PERF_ORC_BENCH_DIR or /tmp/perf-orc-bench)
  --runs N             timed runs per command (default 5)
  --large              also record/bench the ~450 MB V8 recording
  --large-runs N       runs per command on the large recording (default 3)
  --zstd               also record/bench v8-zstd.data: the workload under perf record -z, capped
                       at 8 MB compressed (~260 MB of records); --large-runs runs per command
  --rerecord           record the V8 files again even if present
  --no-fixtures        skip fixtures/recordings/*.data
  --only SUBSTR        only recordings whose name contains SUBSTR
  --v8-seconds S       longest workload duration for v8-55mb.data (default 30; perf stops at 55 MB)
  --large-seconds S    longest workload duration for v8-450mb.data (default 150; stops at 450 MB)
  --linearity          only: perf-orc script --no-cache on the 55 MB and 450 MB files, time per MB
                       and peak RSS (limit ${RSS_LIMIT_MB} MB)
  --stages             only: in-process stage timings (eager vs lazy CFI compile of libc and node)
  --profile            only: node --cpu-prof of perf-orc script --no-cache on v8-55mb.data, top 10
  --warm               only: in process, v8-55mb.data through the whole pipeline from cold and
                       again (V8 warm), and its samples unwound, named and printed with everything
                       loaded (--runs passes each)
  --keep-node-env      keep NODE_EXTRA_CA_CERTS in perf-orc's environment (dropped by default:
                       Node parses that bundle at every start-up, ~80 ms here)
  --help               this text
`

interface Options {
  dir: string
  runs: number
  large: boolean
  largeRuns: number
  zstd: boolean
  rerecord: boolean
  fixtures: boolean
  only?: string
  v8Seconds: number
  largeSeconds: number
  linearity: boolean
  profile: boolean
  stages: boolean
  warm: boolean
  keepNodeEnv: boolean
}

function parseOptions(argv: string[]): Options | undefined {
  const { values: v } = parseArgs({
    args: argv,
    options: {
      dir: { type: 'string' },
      runs: { type: 'string' },
      large: { type: 'boolean' },
      'large-runs': { type: 'string' },
      zstd: { type: 'boolean' },
      rerecord: { type: 'boolean' },
      'no-fixtures': { type: 'boolean' },
      only: { type: 'string' },
      'v8-seconds': { type: 'string' },
      'large-seconds': { type: 'string' },
      linearity: { type: 'boolean' },
      profile: { type: 'boolean' },
      stages: { type: 'boolean' },
      warm: { type: 'boolean' },
      'keep-node-env': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  })
  if (v.help) return undefined
  const num = (s: string | undefined, d: number, what: string): number => {
    const n = s === undefined ? d : Number(s)
    if (!(n > 0)) throw new Error(`--${what}: expected a positive number, got "${s}"`)
    return n
  }
  return {
    dir: resolve(v.dir ?? process.env.PERF_ORC_BENCH_DIR ?? '/tmp/perf-orc-bench'),
    runs: Math.round(num(v.runs, 5, 'runs')),
    large: v.large === true || v.linearity === true,
    largeRuns: Math.round(num(v['large-runs'], 3, 'large-runs')),
    zstd: v.zstd === true,
    rerecord: v.rerecord === true,
    fixtures: v['no-fixtures'] !== true,
    only: v.only,
    v8Seconds: num(v['v8-seconds'], 30, 'v8-seconds'),
    largeSeconds: num(v['large-seconds'], 150, 'large-seconds'),
    linearity: v.linearity === true,
    profile: v.profile === true,
    stages: v.stages === true,
    warm: v.warm === true,
    keepNodeEnv: v['keep-node-env'] === true,
  }
}

const log = (s: string): void => void process.stderr.write(`bench: ${s}\n`)
const rel = (p: string): string => (p.startsWith(REPO + '/') ? relative(REPO, p) : p)

/**
 * perf-orc children get their own table cache, so other people's runs neither warm nor wipe it.
 * NODE_EXTRA_CA_CERTS is dropped unless --keep-node-env: Node parses that certificate bundle at
 * start-up, before any script runs (~80 ms on the build VMs, whose environment sets it for
 * their package proxy). perf-orc makes no TLS connection, a user's shell rarely sets it, and the
 * peers (C++ programs) pay nothing for it.
 */
function orcEnv(o: Options): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, XDG_CACHE_HOME: join(o.dir, 'xdg-cache') }
  if (!o.keepNodeEnv) delete env.NODE_EXTRA_CA_CERTS
  return env
}

function commandFor(id: ToolId, r: Recording): string[] {
  const p = rel(r.path)
  const symfs = r.symfs ? rel(r.symfs) : undefined
  switch (id) {
    case 'orc-nocache':
      return ['node', PERF_ORC, 'script', '-i', p, '--no-cache', ...(symfs ? ['--symfs', symfs] : [])]
    case 'orc-warm':
      return ['node', PERF_ORC, 'script', '-i', p, ...(symfs ? ['--symfs', symfs] : [])]
    case 'perf':
      return ['perf', 'script', '--no-inline', '-i', p, ...(symfs ? ['--symfs', symfs] : [])]
    case 'hotspot':
      return [HOTSPOT, '--input', p, '--output', '/dev/null', ...(symfs ? ['--sysroot', symfs] : [])]
  }
}

async function benchRecording(r: Recording, o: Options, method: RssMethod): Promise<RecordingResult> {
  const env = orcEnv(o)
  const ids: ToolId[] = ['orc-nocache', 'orc-warm', 'perf', 'hotspot']
  const hotspotMissing = !existsSync(HOTSPOT)
  const active = ids.filter((id) => !(id === 'hotspot' && hotspotMissing))
  const loadAverageBefore = loadavg()
  const warm = await measure(commandFor('orc-warm', r), { cwd: REPO, env, method })
  log(`${r.name}: warm-up (untimed) ${warm.wallSeconds.toFixed(3)} s${warm.error ? ` — ${warm.error}` : ''}`)
  const runs = new Map<ToolId, Measurement[]>(active.map((id) => [id, []]))
  for (let i = 0; i < r.runs; i++) {
    const line: string[] = []
    for (const id of active) {
      const m = await measure(commandFor(id, r), { cwd: REPO, env, method })
      runs.get(id)!.push(m)
      line.push(`${id} ${m.wallSeconds.toFixed(3)} s ${m.peakRssMb.toFixed(0)} MB${m.status !== 0 ? ' FAILED' : ''}`)
    }
    log(`${r.name} run ${i + 1}/${r.runs}: ${line.join(', ')}; load ${loadavg()[0]!.toFixed(2)}`)
  }
  const loadAverageAfter = loadavg()
  const tools: ToolResult[] = ids.map((id) =>
    id === 'hotspot' && hotspotMissing
      ? summarize(id, commandFor(id, r).join(' '), [], `skipped: ${HOTSPOT} is not installed (apt-get install -y hotspot)`)
      : summarize(id, commandFor(id, r).join(' '), runs.get(id)!),
  )
  const orcArgs = ['-i', rel(r.path), ...(r.symfs ? ['--symfs', rel(r.symfs)] : [])]
  const perfOrcRoots = perfOrcRootCount(orcArgs, REPO, env)
  const perfOrcStacks = await scriptStackStats(commandFor('orc-warm', r), REPO, env)
  const perfRoots = await scriptStackStats(commandFor('perf', r), REPO)
  return { name: r.name, path: r.path, bytes: r.bytes, runsPerCommand: r.runs, loadAverageBefore, loadAverageAfter, tools, perfOrcRoots, perfOrcStacks, perfRoots }
}

function prepareV8(o: Options): { small: Recording; large?: Recording; zstd?: Recording } {
  mkdirSync(o.dir, { recursive: true })
  const smallPath = prepareV8Recording(REPO, o.dir, { file: 'v8-55mb.data', seconds: o.v8Seconds, maxBytes: 55e6, runs: o.runs }, o.rerecord, log)
  const small = v8Recording('v8-55mb.data', smallPath, o.runs)
  const large = o.large ? prepareV8Recording(REPO, o.dir, { file: 'v8-450mb.data', seconds: o.largeSeconds, maxBytes: 450e6, runs: o.largeRuns }, o.rerecord, log) : undefined
  const zstd = o.zstd ? prepareV8Recording(REPO, o.dir, { file: 'v8-zstd.data', seconds: o.v8Seconds, maxBytes: 8e6, runs: o.largeRuns, zstd: true }, o.rerecord, log) : undefined
  return {
    small,
    large: large ? v8Recording('v8-450mb.data', large, o.largeRuns) : undefined,
    zstd: zstd ? v8Recording('v8-zstd.data', zstd, o.largeRuns) : undefined,
  }
}

function machineInfo(method: RssMethod): Record<string, unknown> {
  const perfVersion = spawnSync('perf', ['--version'], { encoding: 'utf8' }).stdout?.trim()
  return { cpus: cpus().length, cpuModel: cpus()[0]?.model, node: process.version, perf: perfVersion, rssMethod: method, loadAverage: loadavg() }
}

async function runMain(o: Options, method: RssMethod): Promise<void> {
  const { small, large, zstd } = prepareV8(o)
  let recs: Recording[] = [small, ...(large ? [large] : []), ...(zstd ? [zstd] : []), ...(o.fixtures ? fixtureRecordings(REPO, o.runs) : [])]
  if (o.only) recs = recs.filter((r) => r.name.includes(o.only!))
  const results: RecordingResult[] = []
  for (const r of recs) results.push(await benchRecording(r, o, method))
  const md = ['### perf-orc bench: medians', '', summaryTable(results), '', ...results.flatMap((r) => [detailTable(r), ''])].join('\n')
  process.stdout.write(md + '\n')
  mkdirSync(OUT, { recursive: true })
  writeFileSync(join(OUT, 'results.json'), JSON.stringify({ date: new Date().toISOString(), machine: machineInfo(method), options: o, results }, null, 2) + '\n')
  log(`wrote ${rel(join(OUT, 'results.json'))}`)
}

async function medianOf(argv: string[], runs: number, o: Options, method: RssMethod): Promise<{ wall: number; rss: number; ms: Measurement[] }> {
  const ms: Measurement[] = []
  for (let i = 0; i < runs; i++) ms.push(await measure(argv, { cwd: REPO, env: orcEnv(o), method }))
  return { wall: median(ms.map((m) => m.wallSeconds)), rss: median(ms.map((m) => m.peakRssMb)), ms }
}

async function runLinearity(o: Options, method: RssMethod): Promise<void> {
  const { small, large } = prepareV8(o)
  const recs = [small, large!]
  const runs = Math.min(o.runs, o.largeRuns)
  const argv = (r: Recording): string[] => commandFor('orc-nocache', r)
  const byRec = new Map<Recording, Measurement[]>(recs.map((r) => [r, []]))
  for (let i = 0; i < runs; i++) {
    for (const r of recs) {
      const m = await measure(argv(r), { cwd: REPO, env: orcEnv(o), method })
      byRec.get(r)!.push(m)
      log(`linearity ${r.name} run ${i + 1}/${runs}: ${m.wallSeconds.toFixed(3)} s ${m.peakRssMb.toFixed(0)} MB${m.error ? ` — ${m.error}` : ''}; load ${loadavg()[0]!.toFixed(2)}`)
    }
  }
  const floor = await medianOf(['node', PERF_ORC, 'header', '-i', rel(small.path)], runs, o, method)
  const rows: LinearityRow[] = recs.map((r) => {
    const ms = byRec.get(r)!
    const wall = median(ms.map((m) => m.wallSeconds))
    return { name: r.name, bytes: r.bytes, runs, medianWallSeconds: wall, medianCpuSeconds: median(ms.map((m) => m.cpuSeconds)), medianPeakRssMb: median(ms.map((m) => m.peakRssMb)), secondsPerMb: wall / (r.bytes / 1e6), loadAverageAfter: loadavg() }
  })
  process.stdout.write(`### perf-orc script --no-cache: linearity\n\n${linearityTable(rows, floor.wall, RSS_LIMIT_MB)}\n`)
  mkdirSync(OUT, { recursive: true })
  writeFileSync(join(OUT, 'linearity.json'), JSON.stringify({ date: new Date().toISOString(), machine: machineInfo(method), floorSeconds: floor.wall, rows, runs: [...byRec].map(([r, ms]) => ({ name: r.name, ms })) }, null, 2) + '\n')
  log(`wrote ${rel(join(OUT, 'linearity.json'))}`)
}

const STAGE_BINARIES = ['/usr/lib/x86_64-linux-gnu/libc.so.6', '/usr/bin/node']

function runStages(o: Options): void {
  const rows = STAGE_BINARIES.filter((p) => existsSync(p)).flatMap((p) => {
    log(`stages: ${p}`)
    return cfiStages(p, o.runs)
  })
  process.stdout.write(`### perf-orc stages (in process, medians)\n\n${stagesTable(rows)}\n`)
}

async function runWarm(o: Options): Promise<void> {
  const { small } = prepareV8(o)
  log(`warm: ${rel(small.path)}, ${o.runs} passes per stage`)
  const result = await warmPasses(small.path, o.runs)
  process.stdout.write(`### perf-orc warm passes over ${small.name} (${mb(small.bytes)} MB, in process, medians)\n\n${warmTable(result)}\n`)
}

function runProfile(o: Options): void {
  const { small } = prepareV8(o)
  const dir = join(OUT, 'cpu-profile')
  rmSync(dir, { recursive: true, force: true })
  mkdirSync(dir, { recursive: true })
  const argv = ['--cpu-prof', '--cpu-prof-dir', dir, PERF_ORC, 'script', '-i', rel(small.path), '--no-cache']
  log(`node ${argv.join(' ')} > /dev/null`)
  const r = spawnSync('node', argv, { cwd: REPO, env: orcEnv(o), stdio: ['ignore', 'ignore', 'inherit'] })
  if (r.status !== 0) throw new Error(`profiled run exited with status ${r.status}, signal ${r.signal}`)
  const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'))
  if (!file) throw new Error(`node --cpu-prof wrote no .cpuprofile into ${dir}`)
  const profile = readCpuProfile(join(dir, file))
  const { totalMs, functions } = topSelfTime(profile, 10)
  const byFile = byFileMarkdown(selfTimeByFile(profile, 12))
  process.stdout.write(`### CPU profile: perf-orc script --no-cache on ${small.name} (${mb(small.bytes)} MB)\n\n${hotFunctionsMarkdown(totalMs, functions)}\n\n${byFile}\n\nprofile: ${rel(join(dir, file))}\n`)
}

async function main(): Promise<number> {
  const o = parseOptions(process.argv.slice(2))
  if (!o) {
    process.stdout.write(USAGE)
    return 0
  }
  if (!existsSync(join(REPO, PERF_ORC))) throw new Error(`${PERF_ORC} is missing: run \`npm run build\` first`)
  const method = rssMethod()
  if (method !== 'gnu-time') log('/usr/bin/time is missing (Debian package `time`; add it to the .ci/run apt list): polling /proc/PID/status VmHWM every 10 ms instead')
  log(`${cpus().length} CPUs, load average ${loadavg().map((x) => x.toFixed(2)).join(' ')}, peak RSS via ${method}${process.env.NODE_EXTRA_CA_CERTS && !o.keepNodeEnv ? ', NODE_EXTRA_CA_CERTS dropped for perf-orc (--keep-node-env keeps it)' : ''}`)
  if (o.stages) runStages(o)
  else if (o.warm) await runWarm(o)
  else if (o.profile) runProfile(o)
  else if (o.linearity) await runLinearity(o, method)
  else await runMain(o, method)
  return 0
}

main().then(
  (code) => (process.exitCode = code),
  (e: unknown) => {
    process.stderr.write(`bench: ${e instanceof Error ? e.message : String(e)}\n`)
    process.exitCode = 1
  },
)
