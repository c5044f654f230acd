import { describe, expect, it } from 'vitest'
import { dumpOrcTable, formatOrcDumpLine, formatOrcReg } from './dump.js'
import { OrcReg, OrcType } from './entry.js'
import { OrcTable } from './table.js'

describe("objtool --dump=orc line format", () => {
  it('matches objtool output lines quoted in the research notes', () => {
    // objtool --dump c.o (§3.2): ".text+4:type:call sp:sp+16 bp:(und) signal:0"
    expect(formatOrcDumpLine('.text+4', { type: OrcType.CALL, spReg: OrcReg.SP, spOffset: 16, bpReg: OrcReg.UNDEFINED, bpOffset: 0, signal: false })).toBe(
      '.text+4:type:call sp:sp+16 bp:(und) signal:0',
    )
    expect(formatOrcDumpLine('.text+15', { type: OrcType.UNDEFINED, spReg: 0, spOffset: 0, bpReg: 0, bpOffset: 0, signal: false })).toBe(
      '.text+15:type:(und) sp:(und) bp:(und) signal:0',
    )
    expect(formatOrcDumpLine('.text+4', { type: OrcType.CALL, spReg: OrcReg.BP, spOffset: 16, bpReg: OrcReg.PREV_SP, bpOffset: -16, signal: false })).toBe(
      '.text+4:type:call sp:bp+16 bp:prevsp-16 signal:0',
    )
  })

  it('prints every register and type spelling', () => {
    expect(formatOrcReg(OrcReg.BP_INDIRECT, -40)).toBe('(bp-40)')
    expect(formatOrcReg(OrcReg.SP_INDIRECT, 8)).toBe('(sp)+8')
    expect(formatOrcReg(OrcReg.R10, 0)).toBe('r10+0')
    expect(formatOrcReg(OrcReg.AX, 0)).toBe('ax+0')
    expect(formatOrcReg(15, 0)).toBe('?+0')
    const e = { spReg: OrcReg.SP, spOffset: 40, bpReg: OrcReg.UNDEFINED, bpOffset: 0, signal: true }
    expect(formatOrcDumpLine('1', { ...e, type: OrcType.REGS })).toBe('1:type:regs sp:sp+40 bp:(und) signal:1')
    expect(formatOrcDumpLine('1', { ...e, type: OrcType.REGS_PARTIAL })).toMatch(/type:regs \(partial\) /)
    expect(formatOrcDumpLine('1', { ...e, type: OrcType.END_OF_STACK })).toMatch(/type:end /)
    expect(formatOrcDumpLine('1', { ...e, type: 7 })).toMatch(/type:\? /)
  })

  it('dumps a table with bare lowercase hex addresses', () => {
    const t = OrcTable.fromEntries([
      { ip: 0x1130, entry: { type: OrcType.CALL, spReg: OrcReg.SP, spOffset: 8, bpReg: 0, bpOffset: 0, signal: false } },
      { ip: 0x1ABC, entry: { type: OrcType.UNDEFINED, spReg: 0, spOffset: 0, bpReg: 0, bpOffset: 0, signal: false } },
    ])
    expect(dumpOrcTable(t)).toBe('1130:type:call sp:sp+8 bp:(und) signal:0\n1abc:type:(und) sp:(und) bp:(und) signal:0\n')
  })
})
