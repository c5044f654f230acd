/**
 * Stack quality: how many samples were unwound all the way to the root, by perf-orc and by perf.
 *
 * perf-orc says it itself (`report --format json` → samples, rootedSamples). For perf we read
 * `perf script --no-inline` as a stream of blank-line-separated blocks, one per sample:
 *
 *   node 14221  1129.221854:    1001001 cpu-clock:pppH:
 *   	           98a9a malloc+0x16a (/usr/lib/x86_64-linux-gnu/libc.so.6)
 *   	           27304 __libc_start_main@@GLIBC_2.34+0x84 (/usr/lib/x86_64-linux-gnu/libc.so.6)
 *   	          7b835d _start+0x2d (/usr/bin/node)
 *
 * and call a sample rooted when its last frame is one of ROOT_SYMBOLS (after dropping the
 * "+0x84" offset and the "@@GLIBC_2.34" version).
 */
import { spawn, spawnSync } from 'node:child_process'
import { createInterface } from 'node:readline'

export const ROOT_SYMBOLS = new Set(['_start', '__libc_start_main', 'clone3', '__clone3', 'start_thread'])

export interface RootCount {
  samples: number
  rootedSamples: number
  /** Mean user+kernel frames per sample (script output only). */
  meanFrames?: number
  /** Samples with a JIT frame (dso /tmp/perf-PID.map) that has a caller below it: the unwinder
   * got past JIT code, which perf's own dwarf unwinding cannot (script output only). */
  pastJitSamples?: number
  error?: string
}

/** `   7b835d _start+0x2d (/usr/bin/node)` → "_start"; perf-orc marks unreliable frames "? name". */
export function frameSymbol(line: string): string | undefined {
  const m = /^\s*[0-9a-f]+ (?:\? )?(.*?)(?:\+0x[0-9a-f]+)? \(.*\)$/.exec(line)
  if (!m) return undefined
  return m[1]!.replace(/@.*$/, '')
}

const JIT_DSO = /\(\/tmp\/perf-\d+\.map\)$/

/** Sample blocks on a child's stdout (`perf script --no-inline` or `perf-orc script`): samples,
 * rooted samples, frames per sample, samples unwound past a JIT frame. */
export function scriptStackStats(argv: string[], cwd: string, env?: NodeJS.ProcessEnv): Promise<RootCount> {
  return new Promise((resolve) => {
    const child = spawn(argv[0]!, argv.slice(1), { cwd, env, stdio: ['ignore', 'pipe', 'ignore'] })
    let samples = 0
    let rootedSamples = 0
    let frames = 0
    let pastJitSamples = 0
    let inBlock = false
    let last: string | undefined
    let sawJit = false
    let pastJit = false
    const endBlock = (): void => {
      if (!inBlock) return
      samples++
      if (last !== undefined && ROOT_SYMBOLS.has(frameSymbol(last) ?? '')) rootedSamples++
      if (pastJit) pastJitSamples++
      inBlock = sawJit = pastJit = false
      last = undefined
    }
    const rl = createInterface({ input: child.stdout, crlfDelay: Infinity })
    rl.on('line', (line) => {
      if (line === '') return endBlock()
      if (!inBlock) return void (inBlock = true)
      last = line
      frames++
      if (sawJit) pastJit = true
      if (JIT_DSO.test(line)) sawJit = true
    })
    child.on('error', (e) => resolve({ samples, rootedSamples, error: e.message }))
    child.on('close', (status, signal) => {
      endBlock()
      const r: RootCount = { samples, rootedSamples, meanFrames: samples ? frames / samples : 0, pastJitSamples }
      if (status !== 0) r.error = `${argv.slice(0, 2).join(' ')} exited with status ${status}, signal ${signal}`
      resolve(r)
    })
  })
}

export function perfOrcRootCount(cliArgs: string[], cwd: string, env: NodeJS.ProcessEnv): RootCount {
  const r = spawnSync('node', ['dist/perf-orc.mjs', 'report', ...cliArgs, '--format', 'json'], { cwd, env, maxBuffer: 1 << 28, encoding: 'utf8' })
  if (r.status !== 0) return { samples: 0, rootedSamples: 0, error: lastLine(r.stderr) ?? `status ${r.status}, signal ${r.signal}` }
  try {
    const j = JSON.parse(r.stdout) as { samples?: unknown; rootedSamples?: unknown }
    if (typeof j.samples !== 'number' || typeof j.rootedSamples !== 'number') throw new Error('no samples/rootedSamples numbers')
    return { samples: j.samples, rootedSamples: j.rootedSamples }
  } catch (e) {
    return { samples: 0, rootedSamples: 0, error: `report --format json: ${(e as Error).message}` }
  }
}

function lastLine(s: string | undefined): string | undefined {
  const lines = (s ?? '').split('\n').filter((l) => l.trim() !== '')
  return lines[lines.length - 1]
}
