/**
 * perf's "fake" registers and the two ways a kernel capture is unwound (doc §5.1, §5.2, §2.5).
 *
 * Software events and tracepoints fill their pt_regs with perf_arch_fetch_caller_regs():
 *   regs->ip = __builtin_return_address(0)  (a return address in the tracepoint's caller)
 *   regs->sp = __builtin_frame_address(0)   (that function's saved-rbp slot: its CFA - 16)
 *   regs->cs = __KERNEL_CS (0x10); regs->flags = 0; everything else 0 (so bp = 0)
 * Hardware / interrupt regs always have X86_EFLAGS_FIXED (bit 1) set: perf_hw_regs().
 *
 * perf_callchain_kernel():
 *   hw regs:   store regs->ip; unwind_start(&state, current, regs, NULL)
 *   fake regs: unwind_start(&state, current, NULL, (void *)regs->sp)  -- drop frames until the
 *              unwound sp is above regs->sp; the first frame then reported *is* regs->ip.
 */
import type { Addr } from '../parsers/common/addr.js'
import type { CodeLookup } from './code-lookup.js'
import type { FrameBuffer, WalkStatusNum } from './frame-buffer.js'
import { unwindOrc } from './orc-unwinder.js'
import { RegBit, UnwindRegs } from './regs.js'
import { MemStatus, type StackMemory } from './stack-memory.js'

/** arch/x86/include/uapi/asm/processor-flags.h X86_EFLAGS_FIXED. */
export const X86_EFLAGS_FIXED = 0x2
/** arch/x86/include/asm/segment.h __KERNEL_CS (GDT_ENTRY_KERNEL_CS 2 * 8). */
export const KERNEL_CS = 0x10

/**
 * perf_hw_regs() negated: flags known and bit 1 clear. When the sample carries no flags (REGS
 * mask without FLAGS), fall back to the other marks of perf_arch_fetch_caller_regs(): cs ==
 * __KERNEL_CS and bp == 0 (weak: real kernel regs may have bp 0 in an ORC kernel too).
 */
export function isFakeRegs(regs: UnwindRegs): boolean {
  if ((regs.have & RegBit.FLAGS) !== 0) return (regs.flags & X86_EFLAGS_FIXED) === 0
  const need = RegBit.CS | RegBit.BP
  return (regs.have & need) === need && regs.cs === KERNEL_CS && regs.bp === 0
}

const SYNTH = new UnwindRegs()

/**
 * Unwind a captured kernel stack the way perf_callchain_kernel() would have.
 * - hardware regs: frames = [regs.ip, callers...] (unwindOrc from regs).
 * - fake regs with `start` (the capture point's own ip/sp/bp, e.g. where the stack copy was
 *   taken): unwind from `start` dropping frames until sp > regs.sp (skip-SP). regs.ip is not
 *   emitted separately; it comes out as the first unwound return address.
 * - fake regs without `start`: the skip would stop right after popping the frame whose
 *   __builtin_frame_address() is regs.sp, i.e. at state { ip = regs.ip, sp = regs.sp + 16,
 *   bp = *(regs.sp) }; start there directly (regs.ip emitted once, then its callers).
 */
export function unwindKernelCapture(
  regs: UnwindRegs,
  mem: StackMemory,
  lookup: CodeLookup,
  out: FrameBuffer,
  start?: UnwindRegs,
): WalkStatusNum {
  if (!isFakeRegs(regs)) return unwindOrc(regs, mem, lookup, out)
  if (start !== undefined) return unwindOrc(start, mem, lookup, out, { skipUntilSp: regs.sp })
  return unwindFromFrameAddress(regs.ip, regs.sp, mem, lookup, out)
}

function unwindFromFrameAddress(
  ip: Addr,
  frameAddr: Addr,
  mem: StackMemory,
  lookup: CodeLookup,
  out: FrameBuffer,
): WalkStatusNum {
  let bp: Addr = 0
  let have = RegBit.IP | RegBit.SP
  if (mem.read(frameAddr) === MemStatus.OK) {
    bp = mem.value // the saved rbp of regs.ip's function
    have |= RegBit.BP
  }
  SYNTH.clear()
  SYNTH.ip = ip
  SYNTH.sp = frameAddr + 16
  SYNTH.bp = bp
  SYNTH.have = have
  // The skip condition already holds at this state (sp = regs.sp + 16 > regs.sp), so no skip:
  // emit regs.ip, then unwind it as a return address (lookup at ip - 1).
  return unwindOrc(SYNTH, mem, lookup, out, { startIsReturnAddress: true })
}
