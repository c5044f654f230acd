/**
 * The recordings the benchmark reads: V8 recordings made here on demand (cached in the bench
 * directory, reused unless --rerecord) and the committed fixtures in fixtures/recordings/.
 *
 * V8 recordings are `node --perf-basic-prof bench/workloads/cpu.js SECONDS` under
 * `perf record -F 999 --call-graph dwarf`. Node writes /tmp/perf-PID.map itself; it must stay
 * there, since every reader (perf, hotspot, perf-orc) looks for the JIT symbols at that path.
 * One busy node thread gives at most ~1000 samples/s at ~8.3 kB each (8192 B of stack + regs), but
 * fewer when other work shares the 2 CPUs (cpu-clock only counts while the thread runs): 7 s gave
 * 41 MB under load average 4. So the size is capped with `--max-size` rather than tuned by time
 * alone: the workload runs up to `seconds`, and perf stops the session once `maxBytes` are written,
 * SIGTERMs node and then re-raises that SIGTERM on itself (the shell shows exit status 143).
 */
import { spawnSync } from 'node:child_process'
import { existsSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs'
import { join } from 'node:path'

export interface Recording {
  /** Short name used in tables and in results.json. */
  name: string
  /** Absolute path of the perf.data file. */
  path: string
  /** Directory holding the recorded binaries at their absolute paths, for fixtures. */
  symfs?: string
  bytes: number
  /** Runs per command for this recording (the large one gets fewer). */
  runs: number
}

export interface V8Spec {
  /** File name inside the bench directory. */
  file: string
  /** Upper bound on the workload's duration. */
  seconds: number
  /** perf record --max-size, in bytes (of the file as written: compressed, with zstd). */
  maxBytes: number
  runs: number
  /** Record with -z (zstd-compressed records). */
  zstd?: boolean
}

/** Record one V8 recording unless it is already there (or `rerecord`). Returns its path. */
export function prepareV8Recording(repoRoot: string, dir: string, spec: V8Spec, rerecord: boolean, log: (s: string) => void): string {
  const out = join(dir, spec.file)
  if (existsSync(out) && !rerecord) {
    log(`reusing ${out} (${mb(statSync(out).size)} MB); --rerecord makes it again`)
    return out
  }
  const workload = join(repoRoot, 'bench', 'workloads', 'cpu.js')
  const tmp = `${out}.partial`
  const maxSize = `--max-size=${Math.round(spec.maxBytes / 1024)}K`
  const args = ['record', ...(spec.zstd ? ['-z'] : []), '-F', '999', '--call-graph', 'dwarf', maxSize, '-o', tmp, '--', 'node', '--perf-basic-prof', workload, String(spec.seconds)]
  log(`recording ${spec.file}: perf ${args.join(' ')}`)
  const r = spawnSync('perf', args, { cwd: dir, stdio: ['ignore', 'inherit', 'inherit'] })
  if (r.error) throw new Error(`perf record for ${spec.file} could not start: ${r.error.message}`)
  // perf reached --max-size, terminated the workload and re-raised SIGTERM on itself.
  const stoppedAtMaxSize = r.signal === 'SIGTERM' || r.status === 143
  if (r.status !== 0 && !stoppedAtMaxSize) throw new Error(`perf record for ${spec.file} exited with status ${r.status}, signal ${r.signal}`)
  if (!existsSync(tmp)) throw new Error(`perf record for ${spec.file} wrote no ${tmp}`)
  // Rename only a finished recording, so an interrupted one is never reused.
  renameSync(tmp, out)
  rmSync(`${tmp}.old`, { force: true })
  log(`wrote ${out} (${mb(statSync(out).size)} MB)`)
  return out
}

/** Every fixtures/recordings/*.data file, read with --symfs fixtures/symfs. */
export function fixtureRecordings(repoRoot: string, runs: number): Recording[] {
  const dir = join(repoRoot, 'fixtures', 'recordings')
  const symfs = join(repoRoot, 'fixtures', 'symfs')
  if (!existsSync(dir)) return []
  return readdirSync(dir)
    .filter((f) => f.endsWith('.data'))
    .sort()
    .map((f) => {
      const path = join(dir, f)
      return { name: `fixtures/${f}`, path, symfs, bytes: statSync(path).size, runs }
    })
}

export function v8Recording(name: string, path: string, runs: number): Recording {
  return { name, path, bytes: statSync(path).size, runs }
}

export function mb(bytes: number): string {
  return (bytes / 1e6).toFixed(1)
}
