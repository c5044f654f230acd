/**
 * SampleRecord → ResolvedSample: the recorded kernel callchain, then the user frames (from the
 * recorded callchain in frame-pointer mode, or unwound from REGS_USER + STACK_USER in dwarf mode
 * by a UserUnwinder), each named by the Symbolizer. This is the one place where records become
 * the samples render/ consumes.
 */
import type { Addr } from '../parsers/common/addr.js'
import { PerfContext, type SampleRecord } from '../parsers/perf-data/types.js'
import type { ResolvedFrame, ResolvedSample } from '../render/model.js'
import type { Machine } from './process/machine.js'
import { FrameName, type Symbolizer } from './symbols/symbolizer.js'
import { Rel, reliabilityName } from './frame-buffer.js'
import { loadPerfRegs, UnwindRegs } from './regs.js'
import { isFakeRegs } from './fake-regs.js'
import { dropDuplicatedFirstKernelEntry } from './kernel-callchain.js'
import { PcCache } from './process/pc-cache.js'

/** Unwinds the user part of a sample into frames (leaf first); absent in callchain-only mode. */
export interface UserUnwinder {
  /**
   * The user frames of `sample` (leaf first; buffers reused by the next call), or undefined when
   * the sample carries no user registers/stack (the recorded callchain is used instead).
   */
  unwind(sample: SampleRecord): UserFrames | undefined
  /** How the walks so far ended, by reason name. */
  walkEnds(): Record<string, number>
  /** Unwind-table counters (ProcessCodeLookup.tableSummary), when the unwinder uses tables. */
  tableSummary?(): Record<string, number> | undefined
}

export interface UserFrames {
  addrs: ArrayLike<number>
  /** Rel codes (frame-buffer.ts): 0 reliable, 1 fp-guess, 2 below-guess, 3 kernel-bpf. */
  reliability: ArrayLike<number>
  length: number
  rooted: boolean
  truncated: boolean
}

/** Outermost functions of a complete user stack (glibc, musl, Go, Rust start paths). */
const ROOT_SYMBOLS = new Set(['_start', '__libc_start_main', '__libc_start_call_main', 'clone', 'clone3', 'start_thread', '__clone', '__clone3', '_dl_start_user', '_dl_start', 'thread_start'])

export function isRootSymbol(name: string | undefined): boolean {
  return name !== undefined && ROOT_SYMBOLS.has(name.replace(/@@?.*$/, ''))
}

/** Frame ids are unique in the process, across resolvers (compare runs two side by side). */
let nextFrameId = 0

export class SampleResolver {
  private readonly name = new FrameName()
  private readonly intr = new UnwindRegs()
  /**
   * User frames already resolved, by the mapping that held the address (or, outside any mapping,
   * by pid: JIT code named by perf-PID.map), then by address and Rel code. A profile repeats
   * the same few thousand frames, and a mapping's contents do not change while it exists (a new
   * mmap over it makes new Mapping objects), so the same mapping and address name the same frame.
   * Kernel frames are not kept: KSYMBOL records add and remove BPF programs as time passes.
   */
  private readonly frames = new Map<object | number, Map<number, (ResolvedFrame | undefined)[]>>()
  /** The frames most recently asked for, checked against the address space's generation. */
  private readonly recent = new PcCache<ResolvedFrame>()
  /** Generation of the sampled process's address space, read once per sample (0: it has none). */
  private generation = 0

  constructor(
    private readonly machine: Machine,
    private readonly symbolizer: Symbolizer,
    private readonly eventName: (attrIndex: number) => string,
    private readonly userUnwinder?: UserUnwinder,
    /** The recording kernel's release (uname -r), for its callchain quirks. */
    private readonly osRelease = '',
  ) {}

  resolve(s: SampleRecord): ResolvedSample {
    const pid = s.pid ?? -1
    const tid = s.tid ?? pid
    const frames: ResolvedFrame[] = []
    this.generation = this.machine.spaceOf(pid)?.generation ?? 0
    const user = this.userUnwinder?.unwind(s)
    const fakeRegs = this.hasFakeRegs(s)
    let chain = s.callchain
    let raw = s.callchainBytes
    if (chain && fakeRegs) {
      raw = undefined // entries move; the few garbage values in such a chain print rounded
      // The fix-up edits in place; the record may be resolved again (compare), so work on a copy.
      const copy = Float64Array.from(chain)
      chain = copy.subarray(0, dropDuplicatedFirstKernelEntry(copy, this.osRelease))
    }
    if (chain && chain.length > 0) this.addCallchain(pid, chain, raw, frames, user !== undefined)
    else if (s.ip !== undefined && !user) frames.push(this.frame(pid, s.ip, Rel.RELIABLE))
    let rooted = false
    let truncated = false
    if (user) {
      for (let i = 0; i < user.length; i++) frames.push(this.frame(pid, user.addrs[i]!, user.reliability[i]!))
      rooted = user.rooted
      truncated = user.truncated
    } else {
      rooted = frames.length > 0 && (isRootSymbol(frames[frames.length - 1]!.symbol) || frames.every((f) => f.kind === 'kernel'))
    }
    markBelowBpf(frames, this.machine)
    return {
      pid,
      tid,
      comm: this.machine.thread(tid, pid).comm,
      cpu: s.cpu ?? -1,
      time: s.time ?? 0,
      period: s.period ?? 1,
      eventName: this.eventName(s.attrIndex),
      frames,
      rooted,
      stackTruncated: truncated,
      fakeRegs,
    }
  }

  /** REGS_INTR filled by perf_arch_fetch_caller_regs() (tracepoints, software events). */
  private hasFakeRegs(s: SampleRecord): boolean {
    const r = s.regsIntr
    if (!r || r.abi === 0) return false
    this.intr.clear()
    loadPerfRegs(this.intr, r.values, r.index)
    return isFakeRegs(this.intr)
  }

  /** Walk callchain entries; markers switch context. With a user unwinder, user entries are skipped. */
  private addCallchain(pid: number, chain: Float64Array, raw: Uint8Array | undefined, frames: ResolvedFrame[], kernelOnly: boolean): void {
    let inUser = false
    for (let i = 0; i < chain.length; i++) {
      const a = chain[i]!
      if (a < 0 && a >= PerfContext.MAX) {
        inUser = a === PerfContext.USER || a === PerfContext.GUEST_USER
        continue
      }
      if (inUser && kernelOnly) continue
      const f = this.frame(pid, a, Rel.RELIABLE)
      if (!Number.isSafeInteger(a) && raw && raw.length >= (i + 1) * 8) f.addrHex = exactHex(raw, i * 8)
      frames.push(f)
    }
  }

  /** The frame at `addr` with Rel code `rel` (shared between samples: callers must not modify it). */
  private frame(pid: number, addr: Addr, rel: number): ResolvedFrame {
    if (addr < 0 || !Number.isSafeInteger(addr)) return this.resolveFrame(pid, addr, rel)
    // Almost every frame is answered here; (pid, rel) fit one int32 tag (pid_max is 2^22).
    const tag = (pid << 2) | rel
    let f = this.recent.get(tag, this.generation, addr)
    if (f === undefined) {
      f = this.remembered(pid, addr, rel)
      this.recent.set(tag, this.generation, addr, f)
    }
    return f
  }

  private remembered(pid: number, addr: Addr, rel: number): ResolvedFrame {
    const mapping = this.machine.findMapping(pid, addr)
    const owner = mapping ?? pid
    // Keyed by the offset into the mapping: a small integer hashes faster than a 47-bit address.
    const key = mapping ? addr - mapping.start : addr
    let byAddr = this.frames.get(owner)
    if (byAddr === undefined) {
      byAddr = new Map()
      this.frames.set(owner, byAddr)
    }
    let slots = byAddr.get(key)
    if (slots === undefined) {
      slots = [undefined, undefined, undefined, undefined]
      byAddr.set(key, slots)
    }
    let f = slots[rel]
    if (f === undefined) {
      f = this.resolveFrame(pid, addr, rel)
      f.id = nextFrameId++
      slots[rel] = f
    }
    return f
  }

  private resolveFrame(pid: number, addr: Addr, rel: number): ResolvedFrame {
    const n = this.symbolizer.resolve(pid, addr, this.name)
    return { addr, relAddr: n.printAddr, symbol: n.symbol, symOffset: n.symOffset, dso: n.dso, kind: n.kind, reliability: reliabilityName(rel) }
  }
}

/**
 * Kernel frames found below a BPF program or trampoline were reached by the kernel's own
 * frame-pointer fallback (BPF JIT code has no ORC data): mark them unreliable.
 */
function markBelowBpf(frames: ResolvedFrame[], machine: Machine): void {
  let below = false
  for (const f of frames) {
    if (f.kind !== 'kernel') break
    if (below && f.reliability === 'reliable') f.reliability = 'kernel-bpf'
    if (!below && machine.findKsymbol(f.addr)) below = true
  }
}

/** Exact lowercase hex of the little-endian u64 at `off`. */
function exactHex(raw: Uint8Array, off: number): string {
  return new DataView(raw.buffer, raw.byteOffset + off, 8).getBigUint64(0, true).toString(16)
}
