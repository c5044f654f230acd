/**
 * Frames interned to small integer ids, so the call tree and every exporter compare numbers instead of
 * building "name;dso" strings per frame (the Firefox profiler's `${frame},${prefix}` keys are the
 * counter-example). Identity is (symbol, dso, kind, reliability): the same function reached by a guess
 * is a different node from the same function reached reliably, so guesses never hide inside facts.
 */
import type { FrameKind, Reliability } from './model.js'
import { frameDisplayName } from './frame-label.js'

export const FRAME_KINDS: readonly FrameKind[] = ['kernel', 'user', 'jit', 'unknown']
export const RELIABILITIES: readonly Reliability[] = ['reliable', 'fp-guess', 'below-guess', 'kernel-bpf']

const KIND_INDEX: Record<FrameKind, number> = { kernel: 0, user: 1, jit: 2, unknown: 3 }
const RELIABILITY_INDEX: Record<Reliability, number> = {
  reliable: 0,
  'fp-guess': 1,
  'below-guess': 2,
  'kernel-bpf': 3,
}
const VARIANTS = FRAME_KINDS.length * RELIABILITIES.length

/** The part of a frame that identifies it in aggregated output (no address). */
export interface FrameKey {
  symbol: string | undefined
  dso: string | undefined
  kind: FrameKind
  reliability: Reliability
}

export interface FrameInfo extends FrameKey {
  /** Display name: symbol or [unknown], "? " first when unreliable. */
  name: string
}

export class FrameTable {
  readonly frames: FrameInfo[] = []
  /** symbol → dso → (kind, reliability) variant → id + 1. Keys are strings the frames already hold. */
  private readonly index = new Map<string | undefined, Map<string | undefined, Int32Array>>()

  /** Id of the frame with this identity, adding it on first sight. */
  intern(frame: FrameKey): number {
    let byDso = this.index.get(frame.symbol)
    if (byDso === undefined) {
      byDso = new Map()
      this.index.set(frame.symbol, byDso)
    }
    let variants = byDso.get(frame.dso)
    if (variants === undefined) {
      variants = new Int32Array(VARIANTS)
      byDso.set(frame.dso, variants)
    }
    const slot = KIND_INDEX[frame.kind] * RELIABILITIES.length + RELIABILITY_INDEX[frame.reliability]
    const known = variants[slot]!
    if (known !== 0) return known - 1
    const id = this.frames.length
    this.frames.push({
      symbol: frame.symbol,
      dso: frame.dso,
      kind: frame.kind,
      reliability: frame.reliability,
      name: frameDisplayName(frame.symbol, frame.reliability),
    })
    variants[slot] = id + 1
    return id
  }

  get(id: number): FrameInfo {
    const f = this.frames[id]
    if (f === undefined) throw new RangeError(`frame id ${id} not in table of ${this.frames.length}`)
    return f
  }

  get size(): number {
    return this.frames.length
  }
}
