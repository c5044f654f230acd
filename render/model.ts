/**
 * What render/ consumes: symbolized, unwound samples. render/ never sees raw records or parsers.
 * Frames are leaf first (as perf script prints them). Every renderer must keep unreliable frames
 * visibly apart (perf's convention: a "? " before the symbol).
 */
import type { Addr } from '../parsers/common/addr.js'

export type FrameKind = 'kernel' | 'user' | 'jit' | 'unknown'

/** Why a frame is not trustworthy; 'reliable' when it is. */
export type Reliability =
  | 'reliable'
  /** No unwind table covered this address: the caller was found by a frame-pointer guess. */
  | 'fp-guess'
  /** Found by unwinding below a guessed frame. */
  | 'below-guess'
  /** Kernel frame reached through a BPF program or trampoline (kernel's own FP fallback). */
  | 'kernel-bpf'

export interface ResolvedFrame {
  addr: Addr
  /** Symbol name (demangled), or undefined when unknown (printed as [unknown]). */
  symbol: string | undefined
  /** addr - symbol start. */
  symOffset: number
  /** Path of the file backing the address ([kernel.kallsyms], /usr/lib/…/libc.so.6, [JIT] tid …). */
  dso: string | undefined
  /** The address as perf script prints it: map-relative (file offset based) for file-backed user code, else addr. */
  relAddr: Addr
  /**
   * Exact hex of a value too large for a number (a non-canonical garbage entry of a
   * frame-pointer callchain); printed instead of relAddr when present.
   */
  addrHex?: string
  kind: FrameKind
  reliability: Reliability
  /**
   * Identity of an interned frame: the resolver hands out one shared, never-modified object per
   * id, so renderers may cache what they derive from a frame by id. Absent on one-off frames.
   */
  id?: number
}

export interface ResolvedSample {
  pid: number
  tid: number
  comm: string
  cpu: number
  /** Nanoseconds (perf clock). */
  time: number
  period: number
  eventName: string
  /** Leaf first. */
  frames: ResolvedFrame[]
  /** The walk reached the root (_start, clone3, start_thread, or END_OF_STACK). */
  rooted: boolean
  /** The captured stack copy ended before the root. */
  stackTruncated: boolean
  /** Registers were perf_arch_fetch_caller_regs() fakes (tracepoint / software event). */
  fakeRegs: boolean
}

/** Recording context for titles and headers. */
export interface ProfileMeta {
  hostname?: string
  osRelease?: string
  arch?: string
  cmdline?: string
  events: string[]
  firstTime?: number
  lastTime?: number
  lostSamples: number
  /**
   * Wall clock (ns since the epoch) minus the samples' clock, from the CLOCK_DATA feature
   * (`perf record -k CLOCK`); undefined without it (perf's default clock has no wall-clock link).
   */
  wallClockOffsetNs?: number
}

/** Counts for the unwinding summary that only the pipeline knows (render derives the rest). */
export interface PipelineCounts {
  lostSamples: number
  /** Records the reader skipped by size because it does not know their type. */
  unknownRecords: number
  /** A fault that ended reading early (what, where), if any. */
  readError?: string
  /**
   * How the user-stack walks ended, by reason (end-of-stack, truncated, wrong-direction,
   * bad-read, ...): damaged stacks end their walk early and are counted here.
   */
  walkEnds?: Record<string, number>
  /**
   * Unwind tables used (binaries, fromCache, fdes, rows, rowsUnexpressible and its reasons,
   * fdesFailed, unreadable ...): what the CFI could not express shows up here.
   */
  unwindTables?: Record<string, number>
}
