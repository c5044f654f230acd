/**
 * Bounds-checked reads over captured stack memory: the offline stand-in for the kernel's
 * stack_access_ok() / deref_stack_reg() (unwind_orc.c, doc §2.4).
 *
 * A sample may carry several ranges (a kernel capture may hold an IRQ stack plus the task stack;
 * a perf user stack copy is one range starting at regs.sp). Like get_stack_info(), a read outside
 * the current range looks the address up in the other ranges and switches to the one holding it.
 *
 * Reads never throw: they return a MemStatus and leave the value in `value`.
 * A u64 is two 32-bit loads through a word view of the range when it is 4-byte aligned (perf's
 * stack copies are: 8-aligned in their record), else assembled from bytes; nothing is allocated
 * per read.
 */
import type { Addr } from '../parsers/common/addr.js'

export const MemStatus = {
  OK: 0,
  /** At or above the end of a copy that was cut short (perf dyn_size == requested size). */
  TRUNCATED: 1,
  /** Not inside any captured range (below the copy, another stack, or garbage). */
  OUT_OF_RANGE: 2,
} as const
export type MemStatusNum = (typeof MemStatus)[keyof typeof MemStatus]

/** Stack kinds, for diagnostics (stacktrace.h STACK_TYPE_*); the unwinder compares range ids. */
export const StackKind = { USER: 0, TASK: 1, IRQ: 2, SOFTIRQ: 3, ENTRY: 4, EXCEPTION: 5 } as const

const TWO_32 = 4294967296

export class StackMemory {
  readonly maxRanges: number
  private readonly bytes: (Uint8Array | undefined)[]
  /** The same bytes as int32 words, when the range starts 4-byte aligned. */
  private readonly words: (Int32Array | undefined)[]
  private readonly base: Float64Array
  private readonly size: Float64Array
  private readonly clipped: Uint8Array
  readonly kind: Uint8Array
  count = 0
  /** Range holding the last successful read (the kernel's state->stack_info), -1 before any. */
  cur = -1
  /** Result of the last successful read. */
  value: Addr = 0
  /** Address of the last failed read (diagnostics). */
  badAddr: Addr = 0

  constructor(maxRanges = 4) {
    this.maxRanges = maxRanges
    this.bytes = new Array<Uint8Array | undefined>(maxRanges).fill(undefined)
    this.words = new Array<Int32Array | undefined>(maxRanges).fill(undefined)
    this.base = new Float64Array(maxRanges)
    this.size = new Float64Array(maxRanges)
    this.clipped = new Uint8Array(maxRanges)
    this.kind = new Uint8Array(maxRanges)
  }

  /** Forget all ranges (keeps the preallocated arrays). */
  clear(): void {
    for (let i = 0; i < this.count; i++) this.bytes[i] = this.words[i] = undefined
    this.count = 0
    this.cur = -1
    this.value = 0
    this.badAddr = 0
  }

  /**
   * Add a captured range: `bytes` copied from address `base`. `dynSize` (perf's ustack dyn_size:
   * bytes actually copied) limits the usable length. `clipped`: the capture was cut at its
   * requested size, so the stack continues above it and a read there means "truncated" rather
   * than "bad pointer"; pass false when dyn_size < requested size (the copy reached the stack top).
   * Returns false when there is no free slot.
   */
  addRange(bytes: Uint8Array, base: Addr, dynSize = bytes.length, clipped = true, kind = 0): boolean {
    if (this.count >= this.maxRanges) return false
    const i = this.count++
    this.bytes[i] = bytes
    this.words[i] = bytes.byteOffset % 4 === 0 ? new Int32Array(bytes.buffer, bytes.byteOffset, bytes.length >> 2) : undefined
    this.base[i] = base
    this.size[i] = Math.max(0, Math.min(bytes.length, dynSize))
    this.clipped[i] = clipped ? 1 : 0
    this.kind[i] = kind
    if (this.cur < 0) this.cur = i
    return true
  }

  /** Range index holding [addr, addr+len), -1 if none (the kernel's on_stack over all ranges). */
  rangeOf(addr: Addr, len: number): number {
    const c = this.cur
    if (c >= 0 && this.inRange(c, addr, len)) return c
    for (let i = 0; i < this.count; i++) if (i !== c && this.inRange(i, addr, len)) return i
    return -1
  }

  /** on_stack(): begin <= addr && addr + len <= end for range i. */
  inRange(i: number, addr: Addr, len: number): boolean {
    const off = addr - this.base[i]!
    return off >= 0 && off + len <= this.size[i]!
  }

  /**
   * stack_access_ok(): is [addr, addr+len) captured? Switches `cur` to the range holding it
   * (get_stack_info) and returns MemStatus.
   */
  access(addr: Addr, len: number): MemStatusNum {
    const r = this.rangeOf(addr, len)
    if (r >= 0) {
      this.cur = r
      return MemStatus.OK
    }
    this.badAddr = addr
    return this.isAboveClippedEnd(addr, len) ? MemStatus.TRUNCATED : MemStatus.OUT_OF_RANGE
  }

  /** deref_stack_reg(): read the u64 at addr into `value`. */
  read(addr: Addr): MemStatusNum {
    const st = this.access(addr, 8)
    if (st !== MemStatus.OK) return st
    this.value = this.load(this.cur, addr - this.base[this.cur]!)
    return MemStatus.OK
  }

  /** Read at addr inside a block already checked with access(addr0, len) (no switch, no check). */
  readChecked(addr: Addr): Addr {
    return this.load(this.cur, addr - this.base[this.cur]!)
  }

  /** Lowest address of range i, and one past its end. */
  start(i: number): Addr {
    return this.base[i]!
  }
  end(i: number): Addr {
    return this.base[i]! + this.size[i]!
  }

  /** A read at or beyond the end of the current (else first) range whose copy was cut short. */
  private isAboveClippedEnd(addr: Addr, len: number): boolean {
    const i = this.cur >= 0 ? this.cur : 0
    if (i >= this.count || this.clipped[i] === 0) return false
    return addr >= this.base[i]! && addr + len > this.base[i]! + this.size[i]!
  }

  private load(i: number, off: number): Addr {
    const w = this.words[i]
    if (w !== undefined && (off & 3) === 0) return w[(off >> 2) + 1]! * TWO_32 + (w[off >> 2]! >>> 0)
    const b = this.bytes[i]!
    const lo = (b[off]! | (b[off + 1]! << 8) | (b[off + 2]! << 16)) + b[off + 3]! * 0x1000000
    const hi = b[off + 4]! | (b[off + 5]! << 8) | (b[off + 6]! << 16) | (b[off + 7]! << 24)
    return hi * TWO_32 + lo
  }
}
