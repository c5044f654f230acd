/**
 * speedscope file format (https://www.speedscope.app/file-format-schema.json), "sampled" profiles:
 * one per thread plus one "all threads" profile first (speedscope has no merged view of its own,
 * issues #117/#513). Stacks are root first; frames live in one shared table. speedscope has no
 * per-frame colour or metadata field, so an unreliable frame is marked only by its "? " name, and
 * the dso goes into `file`.
 */
import type { ResolvedSample } from './model.js'
import { FrameTable } from './frame-table.js'
import type { WeightMode } from './call-tree.js'

export const SPEEDSCOPE_SCHEMA = 'https://www.speedscope.app/file-format-schema.json'

export interface SpeedscopeFrame {
  name: string
  file?: string
}

export interface SpeedscopeSampledProfile {
  type: 'sampled'
  name: string
  unit: 'none'
  startValue: number
  endValue: number
  /** Frame indices, root first. */
  samples: number[][]
  weights: number[]
}

export interface SpeedscopeFile {
  $schema: typeof SPEEDSCOPE_SCHEMA
  shared: { frames: SpeedscopeFrame[] }
  profiles: SpeedscopeSampledProfile[]
  name?: string
  activeProfileIndex?: number
  exporter?: string
}

export interface SpeedscopeOptions {
  weight?: WeightMode
  /** File-level name (speedscope's title). */
  name?: string
}

/** Samples of one profile; consecutive identical stacks merge (speedscope's time view does the same). */
class ProfileBuilder {
  readonly samples: number[][] = []
  readonly weights: number[] = []
  total = 0

  constructor(readonly name: string) {}

  add(stack: number[], w: number): void {
    this.total += w
    const last = this.samples.length - 1
    if (last >= 0 && sameStack(this.samples[last]!, stack)) {
      this.weights[last] = this.weights[last]! + w
      return
    }
    this.samples.push(stack)
    this.weights.push(w)
  }

  build(): SpeedscopeSampledProfile {
    return { type: 'sampled', name: this.name, unit: 'none', startValue: 0, endValue: this.total, samples: this.samples, weights: this.weights }
  }
}

function sameStack(a: number[], b: number[]): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

/** Root-first frame ids of a sample. */
function stackIds(s: ResolvedSample, table: FrameTable): number[] {
  const n = s.frames.length
  const ids = new Array<number>(n)
  for (let i = 0; i < n; i++) ids[n - 1 - i] = table.intern(s.frames[i]!)
  return ids
}

export function toSpeedscope(samples: Iterable<ResolvedSample>, opts: SpeedscopeOptions = {}): SpeedscopeFile {
  const table = new FrameTable()
  const all = new ProfileBuilder('all threads')
  const perThread = new Map<string, ProfileBuilder>()
  for (const s of samples) {
    // speedscope drops zero-weight samples and rejects negative ones; a period of 0 still means one sample.
    const w = opts.weight === 'samples' ? 1 : Math.max(s.period, 1)
    const stack = stackIds(s, table)
    all.add(stack, w)
    const key = `${s.pid}/${s.tid}`
    let p = perThread.get(key)
    if (p === undefined) {
      p = new ProfileBuilder(`${s.comm} pid ${s.pid} tid ${s.tid}`)
      perThread.set(key, p)
    }
    p.add(stack, w)
  }
  const threads = [...perThread.values()].sort((a, b) => b.total - a.total)
  return {
    $schema: SPEEDSCOPE_SCHEMA,
    shared: { frames: table.frames.map((fr) => (fr.dso === undefined ? { name: fr.name } : { name: fr.name, file: fr.dso })) },
    profiles: [all, ...threads].map((p) => p.build()),
    name: opts.name ?? 'perf-orc profile',
    activeProfileIndex: 0,
    exporter: 'perf-orc@0.1.0',
  }
}

export function renderSpeedscope(samples: Iterable<ResolvedSample>, opts: SpeedscopeOptions = {}): string {
  return JSON.stringify(toSpeedscope(samples, opts))
}
