import { describe, expect, it } from 'vitest'
import { loadPerfRegs, PerfRegX86, RegBit, UnwindRegs } from './regs.js'

describe('loadPerfRegs', () => {
  it('fills the registers present in the sample and marks them in `have`', () => {
    // sample_regs_user mask with AX, DX, BP, SP, IP, FLAGS, CS, R10: values in ascending bit order
    const regsPresent = [PerfRegX86.AX, PerfRegX86.DX, PerfRegX86.BP, PerfRegX86.SP, PerfRegX86.IP, PerfRegX86.FLAGS, PerfRegX86.CS, PerfRegX86.R10]
    const values = new Float64Array([1, 3, 6, 7, 8, 0x246, 0x33, 18])
    const index = new Int8Array(24).fill(-1)
    regsPresent.forEach((r, i) => (index[r] = i))
    const out = new UnwindRegs()
    out.r13 = 99
    loadPerfRegs(out, values, index)
    expect([out.ax, out.dx, out.bp, out.sp, out.ip, out.flags, out.cs, out.r10]).toEqual([1, 3, 6, 7, 8, 0x246, 0x33, 18])
    expect(out.r13).toBe(0)
    expect(out.have & RegBit.R13).toBe(0)
    expect(out.have & RegBit.DI).toBe(0)
    const all = RegBit.AX | RegBit.DX | RegBit.BP | RegBit.SP | RegBit.IP | RegBit.FLAGS | RegBit.CS | RegBit.R10
    expect(out.have).toBe(all)
  })
  it('ignores indexes past the values array', () => {
    const index = new Int8Array(24).fill(-1)
    index[PerfRegX86.IP] = 5
    const out = new UnwindRegs()
    loadPerfRegs(out, new Float64Array(2), index)
    expect(out.have).toBe(0)
  })
})
