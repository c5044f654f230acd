/**
 * Runs one child with stdout to /dev/null and reports its wall time and peak RSS.
 *
 * Wall time is taken here (hrtime around spawn → exit), so it includes ~1 ms of fork/exec; peak
 * RSS comes from GNU time's %M (the child's ru_maxrss from wait4), because Node's child_process
 * exposes no rusage of its children. Without /usr/bin/time (Debian package `time`) it falls back
 * to polling VmHWM in /proc/PID/status every 10 ms, which can miss growth in the last 10 ms.
 */
import { spawn } from 'node:child_process'
import { existsSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export const GNU_TIME = '/usr/bin/time'

export interface Measurement {
  wallSeconds: number
  peakRssMb: number
  /** User + system CPU seconds of the child (GNU time %U + %S; NaN with the /proc fallback). Less
   * sensitive than wall time to other work on the machine, as long as there is a free CPU. */
  cpuSeconds: number
  /** Exit status (null when killed by a signal). */
  status: number | null
  signal: NodeJS.Signals | null
  /** Last stderr line of a failed run, for the report. */
  error?: string
  /** A stderr line saying the tool skipped part of the input, e.g. hotspot-perfparser's
   * "zstd decompression support not available" (it then exits 0 having read almost nothing). */
  warning?: string
}

const WARNING = /^.*(?:support not available|not supported|unsupported).*$/im

export type RssMethod = 'gnu-time' | 'proc-vmhwm'

export function rssMethod(): RssMethod {
  return existsSync(GNU_TIME) ? 'gnu-time' : 'proc-vmhwm'
}

let seq = 0

export function measure(argv: string[], opts: { cwd: string; env?: NodeJS.ProcessEnv; method: RssMethod }): Promise<Measurement> {
  const timeFile = join(tmpdir(), `perf-orc-bench-time-${process.pid}-${seq++}.txt`)
  const full = opts.method === 'gnu-time' ? [GNU_TIME, '-f', '%M %U %S', '-o', timeFile, ...argv] : argv
  return new Promise((resolve) => {
    const start = process.hrtime.bigint()
    const child = spawn(full[0]!, full.slice(1), { cwd: opts.cwd, env: opts.env, stdio: ['ignore', 'ignore', 'pipe'] })
    let stderrTail = ''
    let warning: string | undefined
    child.stderr.on('data', (b: Buffer) => {
      const text = b.toString('utf8')
      warning ??= WARNING.exec(text)?.[0]
      stderrTail = (stderrTail + text).slice(-2000)
    })
    let vmHwmKb = 0
    const poll = opts.method === 'proc-vmhwm' ? setInterval(() => (vmHwmKb = Math.max(vmHwmKb, readVmHwmKb(child.pid))), 10) : undefined
    const finish = (status: number | null, signal: NodeJS.Signals | null, spawnError?: string): void => {
      const wallSeconds = Number(process.hrtime.bigint() - start) / 1e9
      if (poll) clearInterval(poll)
      const t = opts.method === 'gnu-time' ? readGnuTime(timeFile) : { kb: vmHwmKb, cpuSeconds: NaN }
      rmSync(timeFile, { force: true })
      const m: Measurement = { wallSeconds, peakRssMb: t.kb / 1024, cpuSeconds: t.cpuSeconds, status, signal }
      if (warning) m.warning = warning.trim()
      if (status !== 0) m.error = spawnError ?? lastLine(stderrTail) ?? `status ${status}, signal ${signal}`
      resolve(m)
    }
    child.on('error', (e) => finish(null, null, e.message))
    child.on('close', (status, signal) => finish(status, signal))
  })
}

function readVmHwmKb(pid: number | undefined): number {
  if (pid === undefined) return 0
  try {
    const m = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
    return m ? Number(m[1]) : 0
  } catch {
    return 0 // the child has exited between polls
  }
}

/** "%M %U %S" → "438812 4.71 0.38". GNU time writes "Command exited with non-zero status N"
 * before the format line on failure. */
function readGnuTime(file: string): { kb: number; cpuSeconds: number } {
  try {
    const m = /^(\d+) (\d+\.\d+) (\d+\.\d+)$/.exec(lastLine(readFileSync(file, 'utf8')) ?? '')
    return m ? { kb: Number(m[1]), cpuSeconds: Number(m[2]) + Number(m[3]) } : { kb: 0, cpuSeconds: NaN }
  } catch {
    return { kb: 0, cpuSeconds: NaN }
  }
}

function lastLine(s: string): string | undefined {
  const lines = s.split('\n').filter((l) => l.trim() !== '')
  return lines[lines.length - 1]
}
