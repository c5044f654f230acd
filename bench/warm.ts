/**
 * What a recording costs once V8 has compiled perf-orc's code, against what the first pass costs:
 * - the whole pipeline (read, model, unwind, name, perf-script text) from cold, then again in the
 *   same process with fresh state (new machine model, symbol tables, unwind tables; shared are
 *   only the module-level caches: demangled names, and script text's lines of kernel frames): the
 *   difference is V8 warming up perf-orc's own code;
 * - passes over the first pass's sample records with one unwinder and resolver (the process model
 *   at its final state, symbols and tables loaded): user unwinding alone, plus naming, plus text.
 * Usage: npm run bench -- --warm [--runs N]
 */
import { performance } from 'node:perf_hooks'
import { runPipeline, type PipelineContext } from '../cli/pipeline.js'
import { makeUserUnwinder } from '../cli/unwinder.js'
import type { PerfFile } from '../parsers/perf-data/perf-file.js'
import type { SampleRecord } from '../parsers/perf-data/types.js'
import { writeScriptSample, type TextOut } from '../render/script-text.js'
import { SampleResolver } from '../unwind/sample-resolver.js'
import { median } from './report.js'

export interface WarmRow {
  stage: string
  medianMs: number
  nsPerFrame: number
  usPerSample: number
}

/** Text output into a reused buffer: the bytes are made, then dropped. */
class DiscardOut implements TextOut {
  private readonly buf = Buffer.allocUnsafe(1 << 20)
  private len = 0
  text(s: string): void {
    if (this.len > this.buf.length >> 1) this.len = 0
    this.len += this.buf.write(s, this.len)
  }
  bytes(b: Uint8Array): void {
    if (this.len + b.length > this.buf.length) this.len = 0
    this.buf.set(b, this.len)
    this.len += b.length
  }
}

type Stage = 'unwind' | 'unwind + name' | 'unwind + name + text'

export async function warmPasses(path: string, runs: number): Promise<{ firstPassMs: number; againMs: number; samples: number; rows: WarmRow[] }> {
  const out = new DiscardOut()
  const opts = { showCpu: false, callchain: true, nameWidth: 0 }
  const records: SampleRecord[] = []
  let ctx: PipelineContext | undefined
  let file: PerfFile | undefined
  const whole = async (keep: boolean): Promise<number> => {
    const t0 = performance.now()
    await runPipeline({ input: path }, (s, rec, f, c) => {
      writeScriptSample(s, opts, out)
      if (!keep) return
      records.push(rec)
      ctx = c
      file = f
    }, makeUserUnwinder({ cache: false }))
    return performance.now() - t0
  }
  const firstPassMs = await whole(true)
  if (!ctx || !file) throw new Error(`${path}: no samples`)
  const again: number[] = []
  for (let i = 0; i < runs; i++) again.push(await whole(false))
  const f = file
  const unwinder = makeUserUnwinder({ cache: false })(ctx)
  if (!unwinder) throw new Error(`${path}: not a dwarf-mode recording`)
  const resolver = new SampleResolver(ctx.machine, ctx.symbolizer, (i) => f.eventName(i), unwinder, f.osRelease)
  const pass = (stage: Stage): number => {
    let frames = 0
    for (const r of records) {
      if (stage === 'unwind') {
        frames += unwinder.unwind(r)?.length ?? 0
        continue
      }
      const s = resolver.resolve(r)
      frames += s.frames.length
      if (stage === 'unwind + name + text') writeScriptSample(s, opts, out)
    }
    return frames
  }
  const rows: WarmRow[] = []
  for (const stage of ['unwind', 'unwind + name', 'unwind + name + text'] as Stage[]) {
    pass(stage) // this stage's own code warms up
    const times: number[] = []
    let frames = 0
    for (let i = 0; i < runs; i++) {
      const t = performance.now()
      frames = pass(stage)
      times.push(performance.now() - t)
    }
    const ms = median(times)
    rows.push({ stage, medianMs: ms, nsPerFrame: (ms * 1e6) / Math.max(1, frames), usPerSample: (ms * 1e3) / records.length })
  }
  return { firstPassMs, againMs: median(again), samples: records.length, rows }
}

export function warmTable(r: { firstPassMs: number; againMs: number; samples: number; rows: readonly WarmRow[] }): string {
  const lines = [
    `Whole pipeline, ${r.samples} samples: first pass ${r.firstPassMs.toFixed(0)} ms; again in the same process, fresh state, median ${r.againMs.toFixed(0)} ms.`,
    '',
    '| warm pass over the recorded samples | median ms | ns per frame | µs per sample |',
    '|---|---|---|---|',
  ]
  for (const w of r.rows) lines.push(`| ${w.stage} | ${w.medianMs.toFixed(1)} | ${w.nsPerFrame.toFixed(0)} | ${w.usPerSample.toFixed(1)} |`)
  return lines.join('\n')
}
