/**
 * Preallocated output of one unwind walk (S6: typed arrays plus a length, reused per sample).
 * Frames are leaf first, as perf script prints them.
 */
import type { Addr } from '../parsers/common/addr.js'
import type { Reliability } from '../render/model.js'

/** Values of FrameBuffer.reliability; names are render/model.ts Reliability. */
export const Rel = {
  RELIABLE: 0,
  /** Found by the frame-pointer guess (no table entry for the frame below it). */
  FP_GUESS: 1,
  /** Found by unwinding below a guessed frame (the kernel's sticky state->error). */
  BELOW_GUESS: 2,
  /** Kernel frame reached through a BPF program / trampoline. */
  KERNEL_BPF: 3,
} as const

/** Rel value → render/model.ts name. */
export const RELIABILITY_NAMES: readonly Reliability[] = ['reliable', 'fp-guess', 'below-guess', 'kernel-bpf']

export function reliabilityName(rel: number): Reliability {
  return RELIABILITY_NAMES[rel] ?? 'below-guess'
}

/** Why a walk stopped. */
export const WalkStatus = {
  /** Not run yet. */
  NONE: 0,
  /** Rooted: END_OF_STACK entry, user_mode regs reached (kernel), or a 0 frame pointer (FP walk). */
  END_OF_STACK: 1,
  /** The stack copy ended before the root (a read at/after the end of a cut-short copy). */
  TRUNCATED: 2,
  /** New sp <= old sp on the same stack ("stack going in the wrong direction?"). */
  WRONG_DIRECTION: 3,
  /** A read outside every captured range (below the copy, garbage pointer). */
  BAD_READ: 4,
  /** An UNDEFINED entry in a kernel table (unwind_orc.c: goto err). */
  UNDEFINED: 5,
  DEPTH_LIMIT: 6,
  /** Neither ip nor sp changed (framehop DidNotAdvance). */
  NO_PROGRESS: 7,
  /** A return address of 0 (perf_callchain_kernel stops there; framehop: end of stack). */
  ZERO_RA: 8,
  /** An entry names an unknown register or type (unwind_orc.c "unknown ... %d"). */
  BAD_ENTRY: 9,
  /** The CFA comes from DX/DI/R10/R13/AX but no full regs are known (get_reg fails). */
  MISSING_REG: 10,
  /**
   * Kernel walks: a return address outside the kernel's text and module area (perf_callchain_kernel
   * stops where __kernel_text_address fails). Not rooted: a stack ends at user regs or an
   * END_OF_STACK entry, and such an address is what reading a wrong slot finds.
   */
  NOT_KERNEL_TEXT: 11,
} as const
export type WalkStatusNum = (typeof WalkStatus)[keyof typeof WalkStatus]

export const WALK_STATUS_NAMES: readonly string[] = [
  'none', 'end-of-stack', 'truncated', 'wrong-direction', 'bad-read', 'undefined', 'depth-limit',
  'no-progress', 'zero-ra', 'bad-entry', 'missing-reg', 'not-kernel-text',
]

/** The walk reached the root. A zero return address counts: it is how FP chains and perf end. */
export function isRooted(status: number): boolean {
  return status === WalkStatus.END_OF_STACK || status === WalkStatus.ZERO_RA
}

export const DEFAULT_MAX_DEPTH = 256

export class FrameBuffer {
  readonly capacity: number
  readonly addrs: Float64Array
  readonly reliability: Uint8Array
  /** SP of each frame (the CFA of the frame below it; regs.sp for the first). */
  readonly sps: Float64Array
  /**
   * 1 when the frame's address is where execution was (the first frame, a frame restored from
   * a signal/interrupt frame), 0 when it is a return address (the call is at addr - 1).
   */
  readonly activation: Uint8Array
  length = 0
  status: WalkStatusNum = WalkStatus.NONE
  /** Depth limit of the current walk (<= capacity). */
  maxDepth: number
  /** Steps that used the frame-pointer guess (orc_fp_entry). */
  fpGuesses = 0
  /** Frames unwound but dropped by the skip-SP start (fake regs). */
  skipped = 0
  /** Table lookups done and those that found no entry. */
  lookups = 0
  lookupMisses = 0
  /** Address of the failed read / the ip whose entry stopped the walk. */
  badAddr: Addr = 0
  /** The step that ended the walk was a frame-pointer guess (its rbp led nowhere readable). */
  endedInGuess = false

  constructor(capacity = DEFAULT_MAX_DEPTH) {
    this.capacity = capacity
    this.maxDepth = capacity
    this.addrs = new Float64Array(capacity)
    this.reliability = new Uint8Array(capacity)
    this.sps = new Float64Array(capacity)
    this.activation = new Uint8Array(capacity)
  }

  reset(maxDepth = this.capacity): void {
    this.length = 0
    this.status = WalkStatus.NONE
    this.maxDepth = Math.max(0, Math.min(maxDepth, this.capacity))
    this.fpGuesses = this.skipped = this.lookups = this.lookupMisses = 0
    this.badAddr = 0
    this.endedInGuess = false
  }

  get full(): boolean {
    return this.length >= this.maxDepth
  }

  /** Append a frame; false (nothing written) when the depth limit is reached. */
  push(addr: Addr, rel: number, sp: Addr, activation = 0): boolean {
    const n = this.length
    if (n >= this.maxDepth) return false
    this.addrs[n] = addr
    this.reliability[n] = rel
    this.sps[n] = sp
    this.activation[n] = activation
    this.length = n + 1
    return true
  }

  get rooted(): boolean {
    return isRooted(this.status)
  }
}
