/**
 * The user part of a dwarf-mode sample (REGS_USER + STACK_USER) unwound either ORC-style
 * (tables compiled from the binaries' CFI, frame-pointer guess where none covers the code) or by
 * the kernel's plain frame-pointer walk, for comparison. One instance per run; all buffers reused.
 */
import type { SampleRecord } from '../parsers/perf-data/types.js'
import type { UserFrames, UserUnwinder } from './sample-resolver.js'
import { FrameBuffer, WalkStatus, WALK_STATUS_NAMES, isRooted } from './frame-buffer.js'
import { unwindOrc } from './orc-unwinder.js'
import { unwindFramePointer } from './fp-unwinder.js'
import { loadPerfRegs, RegBit, UnwindRegs } from './regs.js'
import { StackMemory } from './stack-memory.js'
import type { ProcessCodeLookup } from './process-code-lookup.js'

export type UnwindMode = 'orc' | 'fp'

export class UserStackUnwinder implements UserUnwinder {
  private readonly regs = new UnwindRegs()
  private readonly mem = new StackMemory()
  private readonly out: FrameBuffer
  /** Frame addresses as perf's dwarf unwinders report them: return addresses minus one. */
  private readonly addrs: Float64Array
  private readonly frames: UserFrames
  /** How many walks ended with each WalkStatus, for the report's summary. */
  private readonly walkStatus = new Map<number, number>()
  /** The same for walks whose failing step was a frame-pointer guess (named "fp-guess-<status>"). */
  private readonly guessedStatus = new Map<number, number>()

  constructor(
    private readonly lookup: ProcessCodeLookup,
    private readonly mode: UnwindMode,
    maxStack = 127,
  ) {
    this.out = new FrameBuffer(maxStack)
    this.addrs = new Float64Array(maxStack)
    this.frames = { addrs: this.addrs, reliability: this.out.reliability, length: 0, rooted: false, truncated: false }
  }

  unwind(s: SampleRecord): UserFrames | undefined {
    const regsUser = s.regsUser
    const stack = s.stackUser
    if (!regsUser || regsUser.abi === 0 || stack === undefined) return undefined
    const regs = this.regs
    regs.clear()
    loadPerfRegs(regs, regsUser.values, regsUser.index)
    if ((regs.have & RegBit.IP) === 0 || (regs.have & RegBit.SP) === 0) return undefined
    this.mem.clear()
    this.mem.addRange(stack, regs.sp, s.stackUserDynSize ?? stack.length)
    this.lookup.setProcess(s.pid ?? -1)
    this.out.reset()
    const status =
      this.mode === 'orc' ? unwindOrc(regs, this.mem, this.lookup, this.out, { userSpace: true }) : unwindFramePointer(regs, this.mem, this.out)
    count(this.out.endedInGuess ? this.guessedStatus : this.walkStatus, status)
    const f = this.frames
    f.length = this.out.length
    this.callSites()
    f.rooted = isRooted(status)
    f.truncated = status === WalkStatus.TRUNCATED
    return f
  }

  /**
   * A return address points after the call; the call itself (what names the caller's line, and
   * what perf's libdw/libunwind unwinders print: `if (!isactivation) --pc`) is at addr - 1.
   * Frames where execution really was (the first, and those restored from a signal frame) stay.
   */
  private callSites(): void {
    const o = this.out
    for (let i = 0; i < o.length; i++) this.addrs[i] = o.activation[i] ? o.addrs[i]! : o.addrs[i]! - 1
  }

  walkEnds(): Record<string, number> {
    const out: Record<string, number> = {}
    const name = (status: number): string => WALK_STATUS_NAMES[status] ?? `status-${status}`
    for (const [status, n] of this.walkStatus) out[name(status)] = n
    for (const [status, n] of this.guessedStatus) out[`fp-guess-${name(status)}`] = n
    return out
  }

  tableSummary(): Record<string, number> | undefined {
    return this.mode === 'orc' ? this.lookup.tableSummary() : undefined
  }
}

function count(m: Map<number, number>, status: number): void {
  m.set(status, (m.get(status) ?? 0) + 1)
}
