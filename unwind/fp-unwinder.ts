/**
 * The kernel's user-space frame-pointer walk, perf_callchain_user() in arch/x86/events/core.c
 * (doc §5.3), over a captured stack copy instead of live user memory:
 *
 *   struct stack_frame { struct stack_frame *next_frame; unsigned long return_address; };
 *   fp = regs->bp; perf_callchain_store(entry, regs->ip);
 *   while (entry->nr < entry->max_stack) {
 *       if (!valid_user_frame(fp, sizeof(frame))) break;
 *       __get_user(frame.next_frame, &fp->next_frame); __get_user(frame.return_address, ...);
 *       perf_callchain_store(entry, frame.return_address);
 *       fp = frame.next_frame;
 *   }
 *
 * Stricter than the kernel (which only checks "user address, readable"): fp must be 8-aligned
 * and strictly increasing (no cycles), like unwind_user's FP frame and framehop's
 * UseFramePointer. Frames are marked Rel.RELIABLE: this is perf's own --call-graph fp result.
 */
import type { Addr } from '../parsers/common/addr.js'
import { Rel, WalkStatus, type FrameBuffer, type WalkStatusNum } from './frame-buffer.js'
import type { UnwindRegs } from './regs.js'
import { MemStatus, type StackMemory } from './stack-memory.js'

export function unwindFramePointer(
  regs: UnwindRegs,
  mem: StackMemory,
  out: FrameBuffer,
  maxDepth: number = out.capacity,
): WalkStatusNum {
  out.reset(maxDepth)
  out.push(regs.ip, Rel.RELIABLE, regs.sp, 1) // perf_callchain_store(entry, regs->ip)
  let fp: Addr = regs.bp
  let prev: Addr = regs.sp - 1 // the first frame record must lie at or above sp
  for (;;) {
    if (out.length >= out.maxDepth) return done(out, WalkStatus.DEPTH_LIMIT)
    if (fp === 0) return done(out, WalkStatus.END_OF_STACK) // rbp = 0 roots the chain (_start, clone)
    if (fp % 8 !== 0) return bad(out, fp, WalkStatus.BAD_READ)
    if (fp <= prev) return bad(out, fp, WalkStatus.WRONG_DIRECTION)
    let st = mem.read(fp) // __get_user(frame.next_frame, &fp->next_frame)
    if (st !== MemStatus.OK) return bad(out, fp, memStatus(st))
    const nextFp = mem.value
    st = mem.read(fp + 8) // __get_user(frame.return_address, &fp->return_address)
    if (st !== MemStatus.OK) return bad(out, fp + 8, memStatus(st))
    const ret = mem.value
    if (ret === 0) return done(out, WalkStatus.ZERO_RA)
    out.push(ret, Rel.RELIABLE, fp + 16) // the caller's sp after `ret` is fp + 16
    prev = fp
    fp = nextFp
  }
}

function memStatus(st: number): WalkStatusNum {
  return st === MemStatus.TRUNCATED ? WalkStatus.TRUNCATED : WalkStatus.BAD_READ
}

function bad(out: FrameBuffer, addr: Addr, status: WalkStatusNum): WalkStatusNum {
  out.badAddr = addr
  return done(out, status)
}

function done(out: FrameBuffer, status: WalkStatusNum): WalkStatusNum {
  out.status = status
  return status
}
