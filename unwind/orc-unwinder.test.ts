import { describe, expect, it } from 'vitest'
import { parseAddrHex } from '../parsers/common/addr.js'
import { FrameBuffer, Rel, WalkStatus } from './frame-buffer.js'
import { PT_REGS, SIGCONTEXT, UCONTEXT_MCONTEXT_OFFSET, unwindOrc } from './orc-unwinder.js'
import { RegBit, UnwindRegs } from './regs.js'
import { StackMemory } from './stack-memory.js'
import { END, ListLookup, R, StackImage, T, UND, call, e, raIn, table } from './testdata/synthetic-stack.js'

const S = 0x7ffd00000000 // user stack copy base (= regs.sp)
const K = parseAddrHex('ffffffff81000000') // kernel text
const KS = parseAddrHex('ffffc90000400000') // kernel task stack

/** User code: f0 [0x1000), f1 [0x1100), f2 [0x1200), main [0x1300) rooted, terminator 0x1400. */
function userTable(f0 = call(R.SP, 24), gap = true) {
  return table(
    [
      [0x1000, f0],
      [0x1100, call(R.SP, 16, R.PREV_SP, -16)],
      [0x1200, call(R.BP, 16, R.PREV_SP, -16)],
      [0x1300, END],
      [0x1400, UND],
    ],
    gap,
  )
}
const userLookup = (t = userTable()) => new ListLookup().add(0x1000, 0x1400, t)

function regs(ip: number, sp: number, bp: number): UnwindRegs {
  return new UnwindRegs().set3(ip, sp, bp)
}
function frames(out: FrameBuffer): number[] {
  return Array.from(out.addrs.subarray(0, out.length))
}
function rels(out: FrameBuffer): number[] {
  return Array.from(out.reliability.subarray(0, out.length))
}

/** f0 (CFA sp+24) -> f1 (push rbp, CFA sp+16) -> f2 (CFA bp+16) -> main (END_OF_STACK). */
function basicStack(): StackImage {
  const st = new StackImage(S, 0x200)
  st.put(S + 16, 0x1110) // f0's return address, CFA0 = S+24
  st.put(S + 24, S + 0x60) // f1's saved rbp = f2's frame pointer
  st.put(S + 32, 0x1210) // f1's return address, CFA1 = S+40
  st.put(S + 0x60, 0) // f2: saved rbp of main
  st.put(S + 0x68, 0x1310) // f2's return address, CFA2 = S+0x70
  return st
}

describe('unwindOrc: CALL frames and sp/bp registers', () => {
  it('walks sp:sp+N, sp:sp+16 bp:prevsp-16 and sp:bp+16 to END_OF_STACK', () => {
    const out = new FrameBuffer()
    const st = unwindOrc(regs(0x1010, S, 0xdead), basicStack().memory(), userLookup(), out, { userSpace: true })
    expect(st).toBe(WalkStatus.END_OF_STACK)
    expect(out.rooted).toBe(true)
    expect(frames(out)).toEqual([0x1010, 0x1110, 0x1210, 0x1310])
    expect(Array.from(out.sps.subarray(0, 4))).toEqual([S, S + 24, S + 40, S + 0x70])
    expect(rels(out)).toEqual([0, 0, 0, 0])
  })

  it('looks return addresses up at ip - 1 and the hardware ip as is', () => {
    const lk = userLookup()
    unwindOrc(regs(0x1010, S, 0), basicStack().memory(), lk, new FrameBuffer(), { userSpace: true })
    expect(lk.pcs).toEqual([0x1010, 0x110f, 0x120f, 0x130f])
  })

  it('bp:bp+N restores bp from *(old bp + N)', () => {
    const t = userTable(call(R.SP, 8, R.BP, 8))
    const st = new StackImage(S, 0x100).put(S, 0x1210).put(S + 0x28, S + 0x40).put(S + 0x48, 0x1310)
    const out = new FrameBuffer()
    unwindOrc(regs(0x1010, S, S + 0x20), st.memory(), userLookup(t), out, { userSpace: true })
    expect(frames(out)).toEqual([0x1010, 0x1210, 0x1310]) // f2's CFA = new bp + 16 = S+0x50
    expect(out.sps[2]).toBe(S + 0x50)
  })

  it('SP_INDIRECT: CFA = *(sp) + offset (v5.12+)', () => {
    const t = userTable(call(R.SP_INDIRECT, 16))
    const st = new StackImage(S, 0x100).put(S, S + 0x30).put(S + 0x38, 0x1310)
    const out = new FrameBuffer()
    expect(unwindOrc(regs(0x1010, S, 0), st.memory(), userLookup(t), out, { userSpace: true })).toBe(WalkStatus.END_OF_STACK)
    expect(frames(out)).toEqual([0x1010, 0x1310])
    expect(out.sps[1]).toBe(S + 0x40)
  })

  it('BP_INDIRECT: CFA = *(bp + offset)', () => {
    const t = userTable(call(R.BP_INDIRECT, 8))
    const st = new StackImage(S, 0x100).put(S + 0x18, S + 0x40).put(S + 0x38, 0x1310)
    const out = new FrameBuffer()
    unwindOrc(regs(0x1010, S, S + 0x10), st.memory(), userLookup(t), out, { userSpace: true })
    expect(frames(out)).toEqual([0x1010, 0x1310])
  })

  const regCases: [string, number, keyof UnwindRegs, number][] = [
    ['DX', R.DX, 'dx', RegBit.DX],
    ['DI', R.DI, 'di', RegBit.DI],
    ['R10', R.R10, 'r10', RegBit.R10],
    ['R13', R.R13, 'r13', RegBit.R13],
    ['AX', R.AX, 'ax', RegBit.AX],
  ]
  for (const [name, reg, field, bit] of regCases) {
    it(`sp:${name} takes the CFA from the start regs (offset ignored), missing => MISSING_REG`, () => {
      const t = userTable(call(reg, 999))
      const st = new StackImage(S, 0x100).put(S + 0x38, 0x1310)
      const r = regs(0x1010, S, 0)
      ;(r[field] as number) = S + 0x40
      r.have |= bit
      const out = new FrameBuffer()
      expect(unwindOrc(r, st.memory(), userLookup(t), out, { userSpace: true })).toBe(WalkStatus.END_OF_STACK)
      expect(frames(out)).toEqual([0x1010, 0x1310])
      r.have &= ~bit
      expect(unwindOrc(r, st.memory(), userLookup(t), out, { userSpace: true })).toBe(WalkStatus.MISSING_REG)
      expect(frames(out)).toEqual([0x1010])
    })
  }

  it('register bases after a CALL frame have no regs (get_reg fails)', () => {
    const t = table([[0x1000, call(R.SP, 8)], [0x1100, call(R.R10, 0)], [0x1400, UND]])
    const st = new StackImage(S, 0x100).put(S, 0x1110)
    const r = regs(0x1010, S, 0)
    r.r10 = S + 0x40
    r.have |= RegBit.R10
    const out = new FrameBuffer()
    expect(unwindOrc(r, st.memory(), userLookup(t), out, { userSpace: true })).toBe(WalkStatus.MISSING_REG)
    expect(frames(out)).toEqual([0x1010, 0x1110])
  })

  it('unknown sp_reg / bp_reg / type => BAD_ENTRY', () => {
    for (const bad of [call(12, 8), call(R.SP, 8, R.DX, 0), e(6, R.SP, 8)]) {
      const out = new FrameBuffer()
      const st = unwindOrc(regs(0x1010, S, 0), basicStack().memory(), userLookup(userTable(bad)), out, { userSpace: true })
      expect(st).toBe(WalkStatus.BAD_ENTRY)
      expect(frames(out)).toEqual([0x1010])
    }
  })
})

describe('unwindOrc: kernel pt_regs (REGS) and iret (REGS_PARTIAL) frames', () => {
  // kf0 [K, +0x100) leaf; kf1 [+0x100) entry code; kf2 [+0x200) interrupted; kf3 [+0x300) FP
  // function; kf4 [+0x400) syscall entry (REGS over the user pt_regs); terminator +0x500.
  function kernelLookup(kf1: ReturnType<typeof e>) {
    const t = table([
      [0x000, call(R.SP, 8)],
      [0x100, kf1],
      [0x200, call(R.SP, 8)], // what ip - 1 would find for K+0x205
      [0x205, call(R.R10, 0)],
      [0x300, call(R.BP, 16, R.PREV_SP, -16)],
      [0x400, e(T.REGS, R.SP, 0, R.UNDEFINED, 0, true)],
      [0x500, UND],
    ])
    return new ListLookup().add(K, K + 0x500, t, K)
  }
  function ptRegs(st: StackImage, at: number, f: Partial<Record<keyof typeof PT_REGS, number>>): void {
    for (const [k, v] of Object.entries(f)) st.put(at + PT_REGS[k as keyof typeof PT_REGS], v)
  }

  it('REGS reads ip/sp/bp/r10 from pt_regs at the CFA; user-mode regs end the walk', () => {
    const st = new StackImage(KS, 0x1000)
    st.put(KS, K + 0x110) // kf0 returns into kf1
    ptRegs(st, KS + 8, { IP: K + 0x205, SP: KS + 0x200, BP: KS + 0x500, R10: KS + 0x400, CS: 0x10, FLAGS: 0x246 })
    st.put(KS + 0x3f8, K + 0x310) // kf2 (CFA = r10) returns into kf3
    st.put(KS + 0x500, 0).put(KS + 0x508, K + 0x410) // kf3's frame record
    ptRegs(st, KS + 0x510, { IP: 0x401000, SP: S, CS: 0x33, FLAGS: 0x246 }) // the user pt_regs
    const lk = kernelLookup(e(T.REGS, R.SP, 0, R.UNDEFINED, 0, true))
    const out = new FrameBuffer()
    const r = regs(K + 0x10, KS, 0)
    r.cs = 0x10
    r.flags = 0x246
    r.have |= RegBit.CS | RegBit.FLAGS
    expect(unwindOrc(r, st.memory(), lk, out)).toBe(WalkStatus.END_OF_STACK)
    // The user ip 0x401000 is never emitted (unwind_get_return_address returns 0 for it).
    expect(frames(out)).toEqual([K + 0x10, K + 0x110, K + 0x205, K + 0x310, K + 0x410])
    // signal=1 on the REGS entry: the interrupted ip is looked up as is, not ip - 1.
    expect(lk.pcs).toContain(K + 0x205)
    expect(lk.pcs).not.toContain(K + 0x204)
  })

  it('REGS_PARTIAL reads the iret frame; register bases then use the full regs before it', () => {
    const st = new StackImage(KS, 0x1000)
    st.putAll(KS, [K + 0x205, 0x10, 0x246, KS + 0x100, 0x18]) // iret frame: ip cs flags sp ss
    st.put(KS + 0x2f8, K + 0x410) // kf2's CFA comes from r10 (prev_regs = the start regs)
    const lk = kernelLookup(e(T.REGS_PARTIAL, R.SP, 0, R.UNDEFINED, 0, true))
    const r = regs(K + 0x100, KS, 0)
    r.r10 = KS + 0x300
    r.have |= RegBit.R10
    const out = new FrameBuffer()
    ptRegs(st, KS + 0x300, { IP: 0x401000, SP: S, CS: 0x33 }) // kf4: REGS over user regs
    expect(unwindOrc(r, st.memory(), lk, out)).toBe(WalkStatus.END_OF_STACK)
    expect(frames(out)).toEqual([K + 0x100, K + 0x205, K + 0x410])
  })

  it('REGS_PARTIAL after a CALL frame: no prev regs => MISSING_REG', () => {
    const st = new StackImage(KS, 0x1000)
    st.put(KS, K + 0x110)
    st.putAll(KS + 8, [K + 0x205, 0x10, 0x246, KS + 0x100, 0x18])
    const lk = kernelLookup(e(T.REGS_PARTIAL, R.SP, 0, R.UNDEFINED, 0, true))
    const out = new FrameBuffer()
    expect(unwindOrc(regs(K + 0x10, KS, 0), st.memory(), lk, out)).toBe(WalkStatus.MISSING_REG)
    expect(frames(out)).toEqual([K + 0x10, K + 0x110, K + 0x205])
  })

  it('a pt_regs that does not fit in the capture => TRUNCATED', () => {
    const st = new StackImage(KS, 0x60).put(KS, K + 0x110)
    const out = new FrameBuffer()
    expect(unwindOrc(regs(K + 0x10, KS, 0), st.memory(), kernelLookup(e(T.REGS, R.SP, 0)), out)).toBe(WalkStatus.TRUNCATED)
    expect(frames(out)).toEqual([K + 0x10, K + 0x110])
  })

  it('UNDEFINED in a kernel table stops with UNDEFINED', () => {
    const st = new StackImage(KS, 0x100).put(KS, K + 0x110)
    const out = new FrameBuffer()
    expect(unwindOrc(regs(K + 0x10, KS, 0), st.memory(), kernelLookup(UND), out)).toBe(WalkStatus.UNDEFINED)
    expect(frames(out)).toEqual([K + 0x10, K + 0x110])
    expect(out.rooted).toBe(false)
  })

  it('ip 0 (a call through a NULL pointer) uses null_orc_entry', () => {
    const st = new StackImage(KS, 0x100).put(KS, K + 0x310).put(KS + 8, 0).put(KS + 0x10, 0)
    const lk = kernelLookup(UND)
    const out = new FrameBuffer()
    const r = regs(0, KS, KS + 8)
    unwindOrc(r, st.memory(), lk, out)
    expect(frames(out).slice(0, 2)).toEqual([0, K + 0x310])
  })

  it('crosses from an IRQ stack to the task stack (range switch; sp may go down across stacks)', () => {
    const irq = new StackImage(KS + 0x10000, 0x100).put(KS + 0x10080, K + 0x110).put(KS + 0x10088, KS + 0x200)
    const task = new StackImage(KS, 0x400).put(KS + 0x208, K + 0x10)
    const mem = new StackMemory()
    irq.addTo(mem, { kind: 2 })
    task.addTo(mem, { kind: 1 })
    // kf1: call_on_irqstack-style "sp:(sp)+16"; the task-stack frame then returns into kf0... whose
    // entry is sp:sp+8 with its RA slot at KS+0x210 = 0: ends the walk.
    const lk = kernelLookup(call(R.SP_INDIRECT, 16))
    const out = new FrameBuffer()
    const st = unwindOrc(regs(K + 0x10, KS + 0x10080, 0), mem, lk, out)
    expect(frames(out)).toEqual([K + 0x10, K + 0x110, K + 0x10])
    expect(out.sps[2]).toBe(KS + 0x210)
    expect(st).toBe(WalkStatus.ZERO_RA)
  })
})

describe('unwindOrc: user signal frames (__restore_rt => REGS over struct sigcontext)', () => {
  // handler h [0x1000), __restore_rt at 0x2001 (its FDE starts at the nop at 0x2000),
  // f [0x2f00) (what ip - 1 would find), g [0x3000): FP function from 0x3010, main [0x1300).
  const t = table(
    [
      [0x1000, call(R.SP, 8)],
      [0x1300, END],
      [0x1400, UND],
      [0x2000, e(T.REGS, R.SP, UCONTEXT_MCONTEXT_OFFSET, R.UNDEFINED, 0, true)],
      [0x2010, UND],
      [0x2f00, call(R.SP, 0x40)],
      [0x3000, call(R.SP, 8)],
      [0x3010, call(R.BP, 16, R.PREV_SP, -16)],
      [0x3100, UND],
    ],
    true,
  )
  function sigStack(): StackImage {
    const st = new StackImage(S, 0x800)
    st.put(S, 0x2001) // the handler returns into __restore_rt; S+8 = &rt_sigframe.uc
    const mc = S + 8 + UCONTEXT_MCONTEXT_OFFSET
    st.put(mc + SIGCONTEXT.IP, 0x3010).put(mc + SIGCONTEXT.SP, S + 0x400).put(mc + SIGCONTEXT.BP, S + 0x500)
    st.put(S + 0x500, 0).put(S + 0x508, 0x1310)
    return st
  }
  it('reads ip/sp/bp from the sigcontext and looks the interrupted ip up as is', () => {
    const lk = new ListLookup().add(0x1000, 0x3100, t)
    const out = new FrameBuffer()
    expect(unwindOrc(regs(0x1004, S, 0), sigStack().memory(), lk, out, { userSpace: true })).toBe(WalkStatus.END_OF_STACK)
    expect(frames(out)).toEqual([0x1004, 0x2001, 0x3010, 0x1310])
    expect(lk.pcs).toEqual([0x1004, 0x2000, 0x3010, 0x130f])
    expect(rels(out)).toEqual([0, 0, 0, 0])
  })
  it('REGS implies signal in user mode even without the signal bit', () => {
    const t2 = table([[0x1000, call(R.SP, 8)], [0x1300, END], [0x1400, UND], [0x2000, e(T.REGS, R.SP, 40)], [0x2010, UND],
      [0x2f00, call(R.SP, 0x40)], [0x3000, call(R.SP, 8)], [0x3010, call(R.BP, 16, R.PREV_SP, -16)], [0x3100, UND]], true)
    const out = new FrameBuffer()
    unwindOrc(regs(0x1004, S, 0), sigStack().memory(), new ListLookup().add(0x1000, 0x3100, t2), out, { userSpace: true })
    expect(frames(out)).toEqual([0x1004, 0x2001, 0x3010, 0x1310])
  })
})

describe('unwindOrc: the RA in a register (RA_REG, glibc __vfork)', () => {
  // v [0x1000): __vfork after `pop %rdi` (CFA sp+0, RA in rdi); f1 [0x1100) push rbp; main rooted.
  const t = table([[0x1000, raIn(R.DI, R.SP, 0)], [0x1100, call(R.SP, 16, R.PREV_SP, -16)], [0x1300, END], [0x1400, UND]], true)
  const lk = () => new ListLookup().add(0x1000, 0x1400, t)
  const stack = () => new StackImage(S, 0x100).put(S, S + 0x80).put(S + 8, 0x1310)
  function vforkRegs(): UnwindRegs {
    const r = regs(0x1008, S, 0xbb)
    r.di = 0x1110
    r.have |= RegBit.DI
    return r
  }

  it('takes the sampled rdi as the return address and keeps sp (the RA was popped)', () => {
    const out = new FrameBuffer()
    expect(unwindOrc(vforkRegs(), stack().memory(), lk(), out, { userSpace: true })).toBe(WalkStatus.END_OF_STACK)
    expect(frames(out)).toEqual([0x1008, 0x1110, 0x1310])
    expect(Array.from(out.sps.subarray(0, 3))).toEqual([S, S, S + 16])
    expect(rels(out)).toEqual([Rel.RELIABLE, Rel.RELIABLE, Rel.RELIABLE])
  })

  it('without rdi in the sample, or below a CALL frame (no registers there), it is MISSING_REG', () => {
    const r = vforkRegs()
    r.have &= ~RegBit.DI
    const out = new FrameBuffer()
    expect(unwindOrc(r, stack().memory(), lk(), out, { userSpace: true })).toBe(WalkStatus.MISSING_REG)
    expect(frames(out)).toEqual([0x1008])
    // f0 [0x1800) CFA sp+8 returns into v: rdi is the sampled one no more.
    const t2 = table([[0x1000, raIn(R.DI, R.SP, 0)], [0x1100, UND], [0x1800, call(R.SP, 8)], [0x1900, UND]], true)
    const st = new StackImage(S, 0x100).put(S, 0x1009)
    const below = vforkRegs()
    below.ip = 0x1810
    expect(unwindOrc(below, st.memory(), new ListLookup().add(0x1000, 0x1900, t2), out, { userSpace: true }))
      .toBe(WalkStatus.MISSING_REG)
    expect(frames(out)).toEqual([0x1810, 0x1009])
  })

  it('above a signal frame it reads rdi from the struct sigcontext', () => {
    // The handler [0x2800) returns into __restore_rt [0x2000); the signal interrupted v at 0x1008.
    const t3 = table([[0x1000, raIn(R.DI, R.SP, 0)], [0x1100, call(R.SP, 16, R.PREV_SP, -16)], [0x1300, END], [0x1400, UND],
      [0x2000, e(T.REGS, R.SP, UCONTEXT_MCONTEXT_OFFSET, R.UNDEFINED, 0, true)], [0x2010, UND], [0x2800, call(R.SP, 8)], [0x2900, UND]], true)
    const st = new StackImage(S, 0x800).put(S, 0x2001)
    const mc = S + 8 + UCONTEXT_MCONTEXT_OFFSET
    st.put(mc + SIGCONTEXT.IP, 0x1008).put(mc + SIGCONTEXT.SP, S + 0x400).put(mc + SIGCONTEXT.DI, 0x1110)
    st.put(S + 0x408, 0x1310)
    const out = new FrameBuffer()
    expect(unwindOrc(regs(0x2804, S, 0), st.memory(), new ListLookup().add(0x1000, 0x2900, t3), out, { userSpace: true }))
      .toBe(WalkStatus.END_OF_STACK)
    expect(frames(out)).toEqual([0x2804, 0x2001, 0x1008, 0x1110, 0x1310])
  })

  it('is no kernel type: in a kernel walk it is BAD_ENTRY', () => {
    const kt = table([[0, raIn(R.DI, R.SP, 0)], [0x100, UND]])
    const r = regs(K + 0x10, KS, 0)
    r.di = K + 0x50
    r.have |= RegBit.DI
    const out = new FrameBuffer()
    expect(unwindOrc(r, new StackImage(KS, 0x100).memory(), new ListLookup().add(K, K + 0x100, kt, K), out)).toBe(WalkStatus.BAD_ENTRY)
    expect(frames(out)).toEqual([K + 0x10])
  })
})

describe('unwindOrc: frame-pointer guess (orc_fp_entry)', () => {
  const JIT1 = 0x90000010
  const JIT2 = 0x90001010
  function jitStack(): StackImage {
    const st = new StackImage(S, 0x200)
    st.put(S, JIT1) // f0 (sp:sp+8) was called from JIT code
    st.put(S + 0x20, S + 0x40).put(S + 0x28, JIT2) // JIT1's frame record
    st.put(S + 0x40, S + 0x60).put(S + 0x48, 0x1210) // JIT2's frame record -> f2
    st.put(S + 0x60, 0).put(S + 0x68, 0x1310) // f2 (sp:bp+16) -> main
    return st
  }
  it('marks the guessed frame fp-guess, all below below-guess, and walks back into table code', () => {
    const out = new FrameBuffer()
    const st = unwindOrc(regs(0x1010, S, S + 0x20), jitStack().memory(), userLookup(userTable(call(R.SP, 8))), out, { userSpace: true })
    expect(st).toBe(WalkStatus.END_OF_STACK)
    expect(frames(out)).toEqual([0x1010, JIT1, JIT2, 0x1210, 0x1310])
    expect(rels(out)).toEqual([Rel.RELIABLE, Rel.RELIABLE, Rel.FP_GUESS, Rel.BELOW_GUESS, Rel.BELOW_GUESS])
    expect(out.fpGuesses).toBe(2)
  })
  it('UNDEFINED in a CFI table (undefinedIsGap) is a gap: FP guess', () => {
    const t = table([[0x1000, call(R.SP, 8)], [0x1200, call(R.BP, 16, R.PREV_SP, -16)], [0x1300, END], [0x1400, UND], [0x90000000, UND], [0x90002000, UND]], true)
    const out = new FrameBuffer()
    const st = unwindOrc(regs(0x1010, S, S + 0x20), jitStack().memory(), new ListLookup().add(0x1000, 0x90002000, t), out, { userSpace: true })
    expect(st).toBe(WalkStatus.END_OF_STACK)
    expect(rels(out)).toEqual([0, 0, 1, 2, 2])
  })
  it('a bp chain that points at itself stops with WRONG_DIRECTION', () => {
    const st = new StackImage(S, 0x100).put(S, JIT1).put(S + 0x20, S + 0x20).put(S + 0x28, JIT2)
    const out = new FrameBuffer()
    expect(unwindOrc(regs(0x1010, S, S + 0x20), st.memory(), userLookup(userTable(call(R.SP, 8))), out, { userSpace: true })).toBe(WalkStatus.WRONG_DIRECTION)
    expect(frames(out)).toEqual([0x1010, JIT1, JIT2])
  })
})

describe('unwindOrc: ends and limits', () => {
  it('stack going the wrong direction (new sp <= old sp on the same stack)', () => {
    const mem = new StackImage(S - 0x100, 0x200).memory()
    const out = new FrameBuffer()
    const t = userTable(call(R.BP, 16, R.PREV_SP, -16))
    expect(unwindOrc(regs(0x1010, S, S - 0x40), mem, userLookup(t), out, { userSpace: true })).toBe(WalkStatus.WRONG_DIRECTION)
    expect(frames(out)).toEqual([0x1010])
  })
  it('a copy that ends before the root => TRUNCATED with the frames found so far', () => {
    const out = new FrameBuffer()
    expect(unwindOrc(regs(0x1010, S, 0), basicStack().memory({ dynSize: 0x40 }), userLookup(), out, { userSpace: true })).toBe(WalkStatus.TRUNCATED)
    expect(frames(out)).toEqual([0x1010, 0x1110, 0x1210])
    expect(out.badAddr).toBe(S + 0x68)
  })
  it('a copy that reached the stack top (not clipped) => BAD_READ', () => {
    const out = new FrameBuffer()
    expect(unwindOrc(regs(0x1010, S, 0), basicStack().memory({ dynSize: 0x40, clipped: false }), userLookup(), out, { userSpace: true })).toBe(WalkStatus.BAD_READ)
  })
  it('zero-length stack copy: regs.ip only, TRUNCATED', () => {
    const out = new FrameBuffer()
    expect(unwindOrc(regs(0x1010, S, 0), basicStack().memory({ dynSize: 0 }), userLookup(), out, { userSpace: true })).toBe(WalkStatus.TRUNCATED)
    expect(frames(out)).toEqual([0x1010])
    const empty = new StackMemory()
    expect(unwindOrc(regs(0x1010, S, 0), empty, userLookup(), out, { userSpace: true })).toBe(WalkStatus.BAD_READ)
  })
  it('return address 0 ends the walk (ZERO_RA, rooted)', () => {
    const st = new StackImage(S, 0x100)
    const out = new FrameBuffer()
    expect(unwindOrc(regs(0x1010, S, 0), st.memory(), userLookup(userTable(call(R.SP, 8))), out, { userSpace: true })).toBe(WalkStatus.ZERO_RA)
    expect(out.rooted).toBe(true)
    expect(frames(out)).toEqual([0x1010])
  })
  it('depth limit (default capacity and opts.maxDepth)', () => {
    // f0 recursing: CFA = sp + 16, the RA at CFA - 8 is again 0x1010.
    const st = new StackImage(S, 16 * 400)
    for (let i = 0; i < 400; i++) st.put(S + 16 * i + 8, 0x1010)
    const t = userTable(call(R.SP, 16))
    const out = new FrameBuffer()
    expect(unwindOrc(regs(0x1010, S, 0), st.memory(), userLookup(t), out, { userSpace: true })).toBe(WalkStatus.DEPTH_LIMIT)
    expect(out.length).toBe(256)
    expect(unwindOrc(regs(0x1010, S, 0), st.memory(), userLookup(t), out, { userSpace: true, maxDepth: 10 })).toBe(WalkStatus.DEPTH_LIMIT)
    expect(out.length).toBe(10)
  })
  it.each([
    ['a user address', 0x401000],
    ['a direct-map pointer', parseAddrHex('ffff888012345000')],
    ['a stack address', KS + 0x40],
    ['a non-canonical value', parseAddrHex('9fec000000000000')],
    ['the vsyscall page', parseAddrHex('ffffffffff600000')],
  ])('kernel mode: %s as return address ends the walk, unrooted (not kernel text)', (_what, ra) => {
    const st = new StackImage(KS, 0x100).put(KS, ra)
    const t = table([[0, call(R.SP, 8)], [0x100, UND]])
    const out = new FrameBuffer()
    expect(unwindOrc(regs(K + 0x10, KS, 0), st.memory(), new ListLookup().add(K, K + 0x100, t, K), out)).toBe(WalkStatus.NOT_KERNEL_TEXT)
    expect(frames(out)).toEqual([K + 0x10])
    expect(out.rooted).toBe(false)
  })
  it('kernel mode: module-area return addresses are followed', () => {
    const M = parseAddrHex('ffffffffc0a00000')
    const st = new StackImage(KS, 0x100).put(KS, M + 0x11).put(KS + 8, 0)
    const t = table([[0, call(R.SP, 8)], [0x100, UND]])
    const lk = new ListLookup().add(K, K + 0x100, t, K).add(M, M + 0x100, t, M)
    const out = new FrameBuffer()
    expect(unwindOrc(regs(K + 0x10, KS, 0), st.memory(), lk, out)).toBe(WalkStatus.ZERO_RA)
    expect(frames(out)).toEqual([K + 0x10, M + 0x11])
  })
})

describe('unwindOrc: random garbage never throws and always terminates', () => {
  it('10k random stacks and tables', () => {
    let seed = 0x12345678
    const rnd = () => {
      seed ^= seed << 13
      seed ^= seed >>> 17
      seed ^= seed << 5
      return (seed >>> 0) / 4294967296
    }
    const ri = (n: number) => Math.floor(rnd() * n)
    const out = new FrameBuffer(64)
    const r = new UnwindRegs()
    const seen = new Map<number, number>()
    for (let iter = 0; iter < 10000; iter++) {
      const user = ri(2) === 0
      const textBase = user ? 0x1000 : K
      const stackBase = user ? S : KS
      const rows: [number, ReturnType<typeof e>][] = []
      const n = 1 + ri(12)
      for (let i = 0; i < n; i++) {
        const off = ri(3) === 0 ? ri(60000) - 30000 : (ri(16) - 2) * 8
        rows.push([ri(0x400), e(ri(8), ri(16), off, ri(16), ri(3) === 0 ? ri(400) - 200 : -16, ri(2) === 0)])
      }
      const t = table(rows, ri(2) === 0)
      const st = new StackImage(stackBase, ri(4) === 0 ? 0 : 8 * (1 + ri(80)))
      const slots = st.bytes.length / 8
      const pick = (): number => {
        switch (ri(6)) {
          case 0: return 0
          case 1: return stackBase + 8 * ri(slots + 4) - 16
          case 2: return textBase + ri(0x500)
          case 3: return ri(2 ** 31) * 2 ** 21 + ri(2 ** 21) - 2 ** 51
          case 4: return stackBase + ri(0x1000) - 0x800
          default: return textBase + ri(0x400)
        }
      }
      for (let i = 0; i < slots; i++) st.put(stackBase + 8 * i, pick())
      r.clear()
      r.ip = pick()
      r.sp = stackBase + (ri(3) === 0 ? ri(64) - 32 : 0)
      r.bp = pick()
      r.dx = pick()
      r.r10 = pick()
      r.cs = ri(2) ? 0x10 : 0x33
      r.have = ri(1024)
      const lk = new ListLookup().add(textBase, textBase + 0x400, t, user ? 0 : K)
      const skip = ri(4) === 0 ? stackBase + 8 * ri(slots + 1) : undefined
      const status = unwindOrc(r, st.memory({ clipped: ri(2) === 0 }), lk, out, { userSpace: user, skipUntilSp: skip })
      expect(status).not.toBe(WalkStatus.NONE)
      expect(out.length).toBeLessThanOrEqual(64)
      seen.set(status, (seen.get(status) ?? 0) + 1)
    }
    // The garbage reaches most ways a walk can end, not just the first check.
    expect(seen.size).toBeGreaterThanOrEqual(8)
  })
})
