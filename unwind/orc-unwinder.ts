/**
 * ORC unwinding of captured stacks, mirroring unwind_next_frame() in
 * torvalds/linux:arch/x86/kernel/unwind_orc.c@db5302ae (doc §2.3; quoted lines are from there).
 *
 *   prev_sp (CFA) = <sp_reg> + sp_offset
 *   CALL          ip = *(CFA - 8), sp = CFA
 *   REGS          kernel: a struct pt_regs at CFA; user (opts.userSpace): a struct sigcontext at CFA
 *   REGS_PARTIAL  an iret frame at CFA (pt_regs at CFA - 128, only its last 40 bytes valid)
 *   RA_REG        ours, user stacks only: ip = <ra_reg> (the sampled regs, or a signal frame's), sp = CFA
 *   bp            UNDEFINED: from regs if any, else unchanged; PREV_SP: *(CFA + bp_offset);
 *                 BP: *(bp + bp_offset)
 *
 * User-space signal frames (the convention the CFI compiler must emit for __restore_rt):
 *   an entry of type REGS in a table walked with userSpace: true means "CFA = <sp_reg> + sp_offset
 *   is the address of a struct sigcontext (ucontext.uc_mcontext)": ip, sp, bp, dx, di, r10, r13, ax
 *   are read from SIGCONTEXT offsets below. For glibc's __restore_rt (rsp = &rt_sigframe.uc once
 *   pretcode is popped) that is sp_reg = SP, sp_offset = UCONTEXT_MCONTEXT_OFFSET (40),
 *   bp_reg = UNDEFINED (bp restored from sigcontext.bp), signal = 1 (the CIE "S" augmentation; the
 *   interrupted ip is looked up as is, not ip - 1). REGS implies signal in user mode regardless.
 *   The entry must cover the byte before __restore_rt too (glibc's nop), since the lookup for a
 *   return address into __restore_rt is at ip - 1.
 *
 * No entry for a pc (JIT code, no table), or an UNDEFINED entry in a table with undefinedIsGap
 * (CFI gap), walks with ORC_FP_ENTRY (the kernel's orc_fp_entry + state->error): the frame found
 * that way is Rel.FP_GUESS and every frame after it Rel.BELOW_GUESS; the walk goes on.
 *
 * Hot path: one module-level state object, one TableHit; nothing allocated per frame or per walk.
 */
import type { Addr } from '../parsers/common/addr.js'
import { TableHit, type CodeLookup } from './code-lookup.js'
import { OrcReg, OrcType } from './orc/entry.js'
import { FrameBuffer, Rel, WalkStatus, type WalkStatusNum } from './frame-buffer.js'
import { IRET_FRAME_OFFSET, IRET_FRAME_SIZE, PT_REGS, RegBit, SIGCONTEXT, type UnwindRegs } from './regs.js'
import { MemStatus, type StackMemory } from './stack-memory.js'

export { IRET_FRAME_OFFSET, IRET_FRAME_SIZE, PT_REGS, SIGCONTEXT, UCONTEXT_MCONTEXT_OFFSET } from './regs.js'
/** Within an iret frame (REGS_PARTIAL, base = CFA): ip +0, cs +8, flags +16, sp +24, ss +32. */
const IRET_SP = 24

/** orc_fp_entry: type CALL, sp:bp+16, bp:prevsp-16 (unwind_orc.c, doc §2.2). */
export const ORC_FP_ENTRY = {
  spReg: OrcReg.BP, spOffset: 16, bpReg: OrcReg.PREV_SP, bpOffset: -16, type: OrcType.CALL,
  signal: false,
} as const

export interface OrcUnwindOptions {
  /** Walk a user stack: REGS = signal frame (struct sigcontext), no user_mode()/kernel-text stops. */
  userSpace?: boolean
  /** Frames to emit at most (default: out.capacity). */
  maxDepth?: number
  /**
   * __unwind_start(first_frame): emit nothing until the unwound sp is on the same stack as this
   * address and above it (doc §2.5). regs are then the capture point, not hardware regs.
   */
  skipUntilSp?: Addr
  /** The start ip is a return address (look it up at ip - 1). Default false (hardware ip). */
  startIsReturnAddress?: boolean
  /** Frames the skip may drop before giving up with DEPTH_LIMIT (default 1024). */
  maxSkip?: number
}

/** Where get_reg() reads registers from. */
const SRC_NONE = 0
const SRC_START = 1 // the UnwindRegs the walk started from (hardware regs)
const SRC_PTREGS = 2 // a struct pt_regs in stack memory
const SRC_SIGCTX = 3 // a struct sigcontext in stack memory

/** Offsets by OrcReg number for get_reg(); BP is included for the bp restore. -1: n/a. */
const PT_OFF = regOffsets(PT_REGS.DX, PT_REGS.DI, PT_REGS.BP, PT_REGS.R10, PT_REGS.R13, PT_REGS.AX)
const SC_OFF = regOffsets(SIGCONTEXT.DX, SIGCONTEXT.DI, SIGCONTEXT.BP, SIGCONTEXT.R10, SIGCONTEXT.R13, SIGCONTEXT.AX)
const HAVE_BIT = regOffsets(RegBit.DX, RegBit.DI, RegBit.BP, RegBit.R10, RegBit.R13, RegBit.AX)

function regOffsets(dx: number, di: number, bp: number, r10: number, r13: number, ax: number): Int16Array {
  const t = new Int16Array(16).fill(-1)
  t[OrcReg.DX] = dx
  t[OrcReg.DI] = di
  t[OrcReg.BP] = bp
  t[OrcReg.R10] = r10
  t[OrcReg.R13] = r13
  t[OrcReg.AX] = ax
  return t
}

/** struct unwind_state, plus the decoded entry of the current step. */
class WalkState {
  ip: Addr = 0
  sp: Addr = 0
  bp: Addr = 0
  signal = false
  userSpace = false
  firstStep = true
  /** state->error after an FP guess: frames from now on are below a guess. */
  guessed = false
  regsKind = SRC_NONE
  regsAddr: Addr = 0
  fullRegs = false
  prevKind = SRC_NONE
  prevAddr: Addr = 0
  start: UnwindRegs | undefined = undefined
  tmp: Addr = 0
  cfa: Addr = 0
  /** Reliability of the frame the last step found. */
  rel: number = Rel.RELIABLE
  eType = 0
  eSpReg = 0
  eSpOff = 0
  eBpReg = 0
  eBpOff = 0
  eSignal = false
  eRaReg = 0
  eGuess = false
}

const W = new WalkState()
const HIT = new TableHit()
/** Step result: keep walking. Every other value is a WalkStatus. */
const CONTINUE = 0

/**
 * Unwind from `regs` over `mem`, filling `out` (reset first) leaf first. Returns out.status.
 * Without skipUntilSp the first frame is regs.ip (perf_callchain_store(entry, regs->ip)).
 */
export function unwindOrc(
  regs: UnwindRegs,
  mem: StackMemory,
  lookup: CodeLookup,
  out: FrameBuffer,
  opts?: OrcUnwindOptions,
): WalkStatusNum {
  out.reset(opts?.maxDepth ?? out.capacity)
  const skip = opts?.skipUntilSp
  initState(W, regs, mem, opts)
  let skipping = skip !== undefined
  if (!skipping || passedSkip(W, mem, skip!)) {
    skipping = false
    out.push(regs.ip, Rel.RELIABLE, regs.sp, 1)
  } else out.skipped++
  const maxSkip = opts?.maxSkip ?? 1024
  for (;;) {
    if (out.length >= out.maxDepth || out.skipped > maxSkip) return finish(out, WalkStatus.DEPTH_LIMIT)
    const st = step(W, mem, lookup, out)
    if (st !== CONTINUE) {
      out.endedInGuess = W.eGuess
      return finish(out, st as WalkStatusNum)
    }
    // unwind_next_frame of a user-mode pt_regs: the next call goes to the_end, and perf's
    // unwind_get_return_address() is 0 for the user ip, so that ip is never stored.
    if (!W.userSpace && W.regsKind !== SRC_NONE && inUserMode(W, mem)) return finish(out, WalkStatus.END_OF_STACK)
    // perf_callchain_kernel: addr = unwind_get_return_address(&state); if (!addr) return;
    if (W.ip === 0) return finish(out, WalkStatus.ZERO_RA)
    if (!W.userSpace && !inKernelTextArea(W.ip)) return finish(out, WalkStatus.NOT_KERNEL_TEXT) // !__kernel_text_address
    if (skipping) {
      if (!passedSkip(W, mem, skip!)) {
        out.skipped++
        continue
      }
      skipping = false
    }
    out.push(W.ip, W.rel, W.sp, W.signal ? 1 : 0)
  }
}

/**
 * x86-64's kernel text mapping and module area, [0xffffffff80000000, 0xffffffffff000000) as signed
 * Addr values: the only places kernel code (vmlinux, modules, BPF programs, trampolines) runs
 * from. Offline there is no __kernel_text_address; this range is its superset that needs no
 * symbols, and it rejects user addresses, the direct map, vmalloc'd stacks and non-canonical
 * values.
 */
function inKernelTextArea(ip: Addr): boolean {
  return ip >= -0x80000000 && ip < -0x1000000
}

function finish(out: FrameBuffer, status: WalkStatusNum): WalkStatusNum {
  out.status = status
  return status
}

/** __unwind_start: from regs (signal = true, full regs) or, with skipUntilSp, as regs == NULL. */
function initState(w: WalkState, regs: UnwindRegs, mem: StackMemory, opts?: OrcUnwindOptions): void {
  w.ip = regs.ip
  w.sp = regs.sp
  w.bp = regs.bp
  w.userSpace = opts?.userSpace === true
  w.signal = opts?.startIsReturnAddress !== true
  w.firstStep = true
  w.guessed = false
  w.start = regs
  w.regsKind = opts?.skipUntilSp === undefined ? SRC_START : SRC_NONE
  w.regsAddr = 0
  w.fullRegs = true
  w.prevKind = SRC_NONE
  w.prevAddr = 0
  const r = mem.rangeOf(regs.sp, 8) // get_stack_info(sp)
  if (r >= 0) mem.cur = r
}

/** __unwind_start's loop condition, negated: on_stack(first_frame) && state->sp > first_frame. */
function passedSkip(w: WalkState, mem: StackMemory, skip: Addr): boolean {
  return mem.cur >= 0 && mem.inRange(mem.cur, skip, 8) && w.sp > skip
}

/** One unwind_next_frame(). Returns CONTINUE or the status that ends the walk. */
function step(w: WalkState, mem: StackMemory, lookup: CodeLookup, out: FrameBuffer): number {
  // if (state->regs && user_mode(state->regs)) goto the_end;
  if (!w.userSpace && w.regsKind !== SRC_NONE && inUserMode(w, mem)) return WalkStatus.END_OF_STACK
  const found = findEntry(w, lookup, out)
  if (found !== CONTINUE) return found
  // state->signal = orc->signal;  (user signal frames: REGS implies signal)
  w.signal = w.eSignal || (w.userSpace && w.eType === OrcType.REGS)
  const prevSp = w.sp
  const prevIp = w.ip
  const prevRange = mem.rangeOf(prevSp, 8)
  let st = findCfa(w, mem, out)
  if (st === CONTINUE) st = applyType(w, mem, out)
  if (st === CONTINUE) st = applyBp(w, mem, out)
  if (st !== CONTINUE) return st
  w.firstStep = false
  // "stack going in the wrong direction?": same stack and state->sp <= prev_sp. An RA_REG frame
  // may leave sp where it was (__vfork has popped its RA): its ip came from a register.
  const backwards = w.sp < prevSp || (w.sp === prevSp && w.eType !== OrcType.RA_REG)
  if (prevRange >= 0 && mem.rangeOf(w.sp, 8) === prevRange && backwards) {
    out.badAddr = w.sp
    return WalkStatus.WRONG_DIRECTION
  }
  if (w.sp === prevSp && w.ip === prevIp) return WalkStatus.NO_PROGRESS // framehop DidNotAdvance
  // Reliability of the frame just found (state->error is sticky).
  w.rel = w.eGuess ? (w.guessed ? Rel.BELOW_GUESS : Rel.FP_GUESS) : w.guessed ? Rel.BELOW_GUESS : Rel.RELIABLE
  if (w.eGuess) w.guessed = true
  return CONTINUE
}

/**
 * orc = orc_find(state->signal ? state->ip : state->ip - 1); then
 *   if (!orc) { orc = &orc_fp_entry; state->error = true; }
 *   UNDEFINED: goto err (kernel tables) / FP guess (CFI tables: a gap); END_OF_STACK: goto the_end.
 */
function findEntry(w: WalkState, lookup: CodeLookup, out: FrameBuffer): number {
  const pc = w.signal ? w.ip : w.ip - 1
  w.eGuess = false // early returns below leave no entry: not a guess
  out.lookups++
  if (pc === 0) return loadNullEntry(w) // orc_find: if (ip == 0) return &null_orc_entry;
  if (lookup.find(pc, HIT) && HIT.table !== undefined && HIT.index >= 0 && HIT.index < HIT.table.length) {
    const t = HIT.table
    const i = HIT.index
    const type = t.type(i)
    if (type === OrcType.END_OF_STACK) return WalkStatus.END_OF_STACK
    if (type !== OrcType.UNDEFINED) {
      w.eType = type
      w.eSpReg = t.spReg(i)
      w.eSpOff = t.spOffset[i]!
      w.eBpReg = t.bpReg(i)
      w.eBpOff = t.bpOffset[i]!
      w.eSignal = t.signal(i)
      w.eRaReg = t.raReg(i)
      w.eGuess = false
      return CONTINUE
    }
    if (!t.undefinedIsGap) {
      out.badAddr = pc
      return WalkStatus.UNDEFINED
    }
  }
  out.lookupMisses++
  out.fpGuesses++
  w.eType = ORC_FP_ENTRY.type
  w.eSpReg = ORC_FP_ENTRY.spReg
  w.eSpOff = ORC_FP_ENTRY.spOffset
  w.eBpReg = ORC_FP_ENTRY.bpReg
  w.eBpOff = ORC_FP_ENTRY.bpOffset
  w.eSignal = false
  w.eGuess = true
  return CONTINUE
}

/** null_orc_entry: { sp_offset = 8, sp_reg = SP, bp_reg = UNDEFINED, type = CALL } (call via NULL). */
function loadNullEntry(w: WalkState): number {
  w.eType = OrcType.CALL
  w.eSpReg = OrcReg.SP
  w.eSpOff = 8
  w.eBpReg = OrcReg.UNDEFINED
  w.eBpOff = 0
  w.eSignal = false
  w.eGuess = false
  return CONTINUE
}

/** switch (orc->sp_reg): the previous frame's SP, the CFA. */
function findCfa(w: WalkState, mem: StackMemory, out: FrameBuffer): number {
  switch (w.eSpReg) {
    case OrcReg.SP: // sp = state->sp + orc->sp_offset;
      w.cfa = w.sp + w.eSpOff
      return CONTINUE
    case OrcReg.BP: // sp = state->bp + orc->sp_offset;
      w.cfa = w.bp + w.eSpOff
      return CONTINUE
    case OrcReg.SP_INDIRECT: // sp = state->sp; indirect; ... sp = *sp + sp_offset (v5.12+)
      if (!readInto(mem, w.sp, out)) return readStatus(mem)
      w.cfa = mem.value + w.eSpOff
      return CONTINUE
    case OrcReg.BP_INDIRECT: // sp = state->bp + orc->sp_offset; indirect; sp = *sp
      if (!readInto(mem, w.bp + w.eSpOff, out)) return readStatus(mem)
      w.cfa = mem.value
      return CONTINUE
    case OrcReg.R10: // if (!get_reg(state, offsetof(struct pt_regs, r10), &sp)) goto err;
    case OrcReg.R13:
    case OrcReg.DI:
    case OrcReg.DX:
    case OrcReg.AX: // sp_offset is not added for register bases
      if (!getReg(w, mem, w.eSpReg)) return WalkStatus.MISSING_REG
      w.cfa = w.tmp
      return CONTINUE
    default: // orc_warn("unknown SP base reg %d at %pB\n")
      return WalkStatus.BAD_ENTRY
  }
}

/** switch (orc->type): IP, SP and possibly regs. */
function applyType(w: WalkState, mem: StackMemory, out: FrameBuffer): number {
  const cfa = w.cfa
  switch (w.eType) {
    case OrcType.CALL: // ip_p = sp - sizeof(long); deref_stack_reg(state, ip_p, &state->ip)
      if (!readInto(mem, cfa - 8, out)) return readStatus(mem)
      w.ip = mem.value
      w.sp = cfa
      w.regsKind = SRC_NONE // state->regs = NULL; state->prev_regs = NULL;
      w.prevKind = SRC_NONE
      return CONTINUE
    case OrcType.RA_REG: // ours (entry.ts); a kernel table holding type 5 is corrupt
      if (!w.userSpace) return WalkStatus.BAD_ENTRY
      if (!getReg(w, mem, w.eRaReg)) return WalkStatus.MISSING_REG
      w.ip = w.tmp
      w.sp = cfa
      w.regsKind = SRC_NONE
      w.prevKind = SRC_NONE
      return CONTINUE
    case OrcType.REGS: // deref_stack_regs(state, sp, &state->ip, &state->sp)
      return w.userSpace ? readFullRegs(w, mem, out, SRC_SIGCTX) : readFullRegs(w, mem, out, SRC_PTREGS)
    case OrcType.REGS_PARTIAL: // deref_stack_iret_regs(state, sp, &state->ip, &state->sp)
      if (!accessInto(mem, cfa, IRET_FRAME_SIZE, out)) return readStatus(mem)
      w.ip = mem.readChecked(cfa)
      w.sp = mem.readChecked(cfa + IRET_SP)
      if (w.fullRegs) {
        // if (state->full_regs) state->prev_regs = state->regs;
        w.prevKind = w.regsKind
        w.prevAddr = w.regsAddr
      }
      w.regsKind = SRC_PTREGS // state->regs = (void *)sp - IRET_FRAME_OFFSET; full_regs = false
      w.regsAddr = cfa - IRET_FRAME_OFFSET
      w.fullRegs = false
      return CONTINUE
    default: // orc_warn("unknown .orc_unwind entry type %d at %pB\n")
      return WalkStatus.BAD_ENTRY
  }
}

/** REGS: state->regs = sp; prev_regs = NULL; full_regs = true (pt_regs, or sigcontext for user). */
function readFullRegs(w: WalkState, mem: StackMemory, out: FrameBuffer, kind: number): number {
  const cfa = w.cfa
  const size = kind === SRC_PTREGS ? PT_REGS.SIZE : SIGCONTEXT.SIZE
  if (!accessInto(mem, cfa, size, out)) return readStatus(mem) // "can't access registers at %pB"
  w.ip = mem.readChecked(cfa + (kind === SRC_PTREGS ? PT_REGS.IP : SIGCONTEXT.IP))
  w.sp = mem.readChecked(cfa + (kind === SRC_PTREGS ? PT_REGS.SP : SIGCONTEXT.SP))
  w.regsKind = kind
  w.regsAddr = cfa
  w.fullRegs = true
  w.prevKind = SRC_NONE
  return CONTINUE
}

/** switch (orc->bp_reg). `w.bp` is still the old bp here; `w.cfa` is the local `sp`. */
function applyBp(w: WalkState, mem: StackMemory, out: FrameBuffer): number {
  switch (w.eBpReg) {
    case OrcReg.UNDEFINED: // if (get_reg(state, offsetof(struct pt_regs, bp), &tmp)) state->bp = tmp;
      if (getReg(w, mem, OrcReg.BP)) w.bp = w.tmp
      return CONTINUE
    case OrcReg.PREV_SP: // deref_stack_reg(state, sp + orc->bp_offset, &state->bp)
      return readBp(w, mem, out, w.cfa + w.eBpOff)
    case OrcReg.BP: // deref_stack_reg(state, state->bp + orc->bp_offset, &state->bp)
      return readBp(w, mem, out, w.bp + w.eBpOff)
    default: // orc_warn("unknown BP base reg %d for ip %pB\n")
      return WalkStatus.BAD_ENTRY
  }
}

function readBp(w: WalkState, mem: StackMemory, out: FrameBuffer, addr: Addr): number {
  if (readInto(mem, addr, out)) {
    w.bp = mem.value
    return CONTINUE
  }
  // framehop OffsetSpAndRestoreBp: a user first frame in an epilogue may have its saved-bp slot
  // below sp, i.e. below the start of perf's copy; bp is then still live in the register.
  if (w.userSpace && w.firstStep && addr < w.start!.sp) return CONTINUE
  return readStatus(mem)
}

/** get_reg(): full regs, else the regs saved before a partial (iret) frame, else fail. */
function getReg(w: WalkState, mem: StackMemory, orcReg: number): boolean {
  let kind = w.regsKind
  let addr = w.regsAddr
  if (kind === SRC_NONE) return false
  if (!w.fullRegs) {
    kind = w.prevKind
    addr = w.prevAddr
    if (kind === SRC_NONE) return false
  }
  if (kind === SRC_START) return startReg(w, orcReg)
  const off = (kind === SRC_PTREGS ? PT_OFF : SC_OFF)[orcReg]!
  if (off < 0 || mem.read(addr + off) !== MemStatus.OK) return false
  w.tmp = mem.value
  return true
}

function startReg(w: WalkState, orcReg: number): boolean {
  const r = w.start!
  const bit = HAVE_BIT[orcReg]!
  if (bit < 0 || (r.have & bit) === 0) return false
  switch (orcReg) {
    case OrcReg.DX: w.tmp = r.dx; break
    case OrcReg.DI: w.tmp = r.di; break
    case OrcReg.BP: w.tmp = r.bp; break
    case OrcReg.R10: w.tmp = r.r10; break
    case OrcReg.R13: w.tmp = r.r13; break
    default: w.tmp = r.ax
  }
  return true
}

/** user_mode(regs) = !!(regs->cs & 3), for the regs the state points at (full or partial). */
function inUserMode(w: WalkState, mem: StackMemory): boolean {
  if (w.regsKind === SRC_START) return (w.start!.have & RegBit.CS) !== 0 && (w.start!.cs & 3) !== 0
  if (w.regsKind !== SRC_PTREGS) return false
  if (mem.read(w.regsAddr + PT_REGS.CS) !== MemStatus.OK) return false
  return (mem.value & 3) !== 0
}

let lastReadStatus: number = MemStatus.OK

function readInto(mem: StackMemory, addr: Addr, out: FrameBuffer): boolean {
  lastReadStatus = mem.read(addr)
  if (lastReadStatus === MemStatus.OK) return true
  out.badAddr = addr
  return false
}

function accessInto(mem: StackMemory, addr: Addr, len: number, out: FrameBuffer): boolean {
  lastReadStatus = mem.access(addr, len)
  if (lastReadStatus === MemStatus.OK) return true
  out.badAddr = addr
  return false
}

/** Map the last failed read to the walk status: past a cut-short copy = TRUNCATED. */
function readStatus(_mem: StackMemory): number {
  return lastReadStatus === MemStatus.TRUNCATED ? WalkStatus.TRUNCATED : WalkStatus.BAD_READ
}
