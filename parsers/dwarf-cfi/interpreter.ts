/**
 * The DWARF call-frame instruction interpreter (DWARF 5 §6.4.2), reduced to what an ORC entry can
 * hold: the CFA rule, and the rules for rbp (DWARF reg 6) and the return-address column. Other
 * registers' rules are parsed and dropped.
 *
 * Rows are delivered through a callback with ONE reused `CfaRow` (no per-row objects, style S6):
 * `onRow(loc, row)` means "from address `loc` until the next row's loc (or the FDE end), this is
 * the rule set". A later row with the same loc supersedes the earlier one (advance_loc 0).
 */
import { CfiCursor } from './cursor.js'
import type { Cie, FdeList } from './entries.js'
import type { CfiProgramFailure } from './failures.js'

/** Register-rule kinds (DWARF 5 §6.4.1). UNSPECIFIED = no instruction mentioned the register. */
export const RuleKind = {
  UNSPECIFIED: 0,
  UNDEFINED: 1,
  SAME_VALUE: 2,
  /** saved at CFA + value */
  OFFSET: 3,
  /** value = CFA + value */
  VAL_OFFSET: 4,
  /** value is in register `value` */
  REGISTER: 5,
  /** saved at the address the expression at [value, exprEnd) computes */
  EXPRESSION: 6,
  VAL_EXPRESSION: 7,
} as const

export const CfaKind = { REG_OFFSET: 0, EXPRESSION: 1 } as const

export const DW_REG_RBP = 6
export const DW_REG_RSP = 7

/** The current rule set; field names carry what the number means. */
export class CfaRow {
  cfaKind = 0
  cfaReg = 0
  cfaOffset = 0
  /** Section offsets of the CFA expression block when cfaKind is EXPRESSION. */
  cfaExprStart = 0
  cfaExprEnd = 0
  bpKind = 0
  /** Offset (already × data_alignment) / register number / expression start, per bpKind. */
  bpValue = 0
  bpExprEnd = 0
  raKind = 0
  raValue = 0
  raExprEnd = 0

  copyFrom(o: CfaRow): void {
    this.cfaKind = o.cfaKind
    this.cfaReg = o.cfaReg
    this.cfaOffset = o.cfaOffset
    this.cfaExprStart = o.cfaExprStart
    this.cfaExprEnd = o.cfaExprEnd
    this.bpKind = o.bpKind
    this.bpValue = o.bpValue
    this.bpExprEnd = o.bpExprEnd
    this.raKind = o.raKind
    this.raValue = o.raValue
    this.raExprEnd = o.raExprEnd
  }
}

export type RowSink = (loc: number, row: CfaRow) => void

/** remember_state nesting beyond this is corrupt input (GCC nests 1-2 deep). */
const MAX_STATE_DEPTH = 64

/**
 * Reusable interpreter (one per compile run: it owns the row, the initial-rule copy used by
 * DW_CFA_restore, and the remember_state stack).
 */
export class CfaInterpreter {
  readonly row = new CfaRow()
  private readonly initial = new CfaRow()
  private readonly stack: CfaRow[] = []
  private depth = 0
  private cur: CfiCursor | undefined
  private cie!: Cie
  private fdes!: FdeList
  private loc = 0
  private pcEnd = 0
  private sink: RowSink | undefined

  /** Run CIE initial instructions then FDE `i`'s program, emitting rows. Returns a failure or undefined. */
  run(fdes: FdeList, i: number, sink: RowSink): CfiProgramFailure | undefined {
    if (this.fdes !== fdes || this.cur === undefined) {
      this.fdes = fdes
      // One-FDE lists (lazy compilation) share their section: keep the cursor over the same bytes.
      if (this.cur === undefined || this.cur.bytes !== fdes.section.bytes) this.cur = new CfiCursor(fdes.section.bytes)
    }
    this.cie = fdes.cies[fdes.cieIndex[i]!]!
    this.resetRow(this.row)
    this.depth = 0
    this.loc = fdes.pcBegin[i]!
    this.pcEnd = fdes.pcEnd[i]!
    this.sink = undefined
    const c = this.execute(this.cie.instrStart, this.cie.instrEnd)
    if (c !== undefined) return c
    this.initial.copyFrom(this.row)
    this.depth = 0
    this.sink = sink
    const f = this.execute(fdes.instrStart[i]!, fdes.instrEnd[i]!)
    if (f !== undefined) return f
    if (this.loc < this.pcEnd) sink(this.loc, this.row)
    return undefined
  }

  private resetRow(r: CfaRow): void {
    r.cfaKind = CfaKind.REG_OFFSET
    r.cfaReg = DW_REG_RSP
    r.cfaOffset = 0
    r.cfaExprStart = r.cfaExprEnd = 0
    r.bpKind = RuleKind.UNSPECIFIED
    r.bpValue = r.bpExprEnd = 0
    r.raKind = RuleKind.UNSPECIFIED
    r.raValue = r.raExprEnd = 0
  }

  private execute(start: number, end: number): CfiProgramFailure | undefined {
    const cur = this.cur!
    cur.pos = start
    cur.end = end
    cur.bad = false
    while (cur.pos < end && this.loc < this.pcEnd) {
      const op = cur.u8()
      const r = op >= 0x40 ? this.primary(op) : this.extended(op, cur)
      if (r !== undefined) return r
      if (cur.bad) return 'truncatedInstructions'
    }
    return undefined
  }

  /** advance_loc / offset / restore: opcode in the top two bits, operand in the low six. */
  private primary(op: number): CfiProgramFailure | undefined {
    const low = op & 0x3f
    switch (op & 0xc0) {
      case 0x40:
        return this.advanceTo(this.loc + low * this.cie.codeAlign)
      case 0x80:
        this.setRule(low, RuleKind.OFFSET, this.cur!.uleb() * this.cie.dataAlign, 0)
        return undefined
      default:
        this.restore(low)
        return undefined
    }
  }

  private extended(op: number, cur: CfiCursor): CfiProgramFailure | undefined {
    const cie = this.cie
    switch (op) {
      case 0x00: // nop
        return undefined
      case 0x01: // set_loc
        return this.setLoc(cur)
      case 0x02:
        return this.advanceTo(this.loc + cur.u8() * cie.codeAlign)
      case 0x03:
        return this.advanceTo(this.loc + cur.u16() * cie.codeAlign)
      case 0x04:
        return this.advanceTo(this.loc + cur.u32() * cie.codeAlign)
      case 0x05: // offset_extended
        return this.rule(cur.uleb(), RuleKind.OFFSET, cur.uleb() * cie.dataAlign)
      case 0x06: // restore_extended
        this.restore(cur.uleb())
        return undefined
      case 0x07:
        return this.rule(cur.uleb(), RuleKind.UNDEFINED, 0)
      case 0x08:
        return this.rule(cur.uleb(), RuleKind.SAME_VALUE, 0)
      case 0x09: // register
        return this.rule(cur.uleb(), RuleKind.REGISTER, cur.uleb())
      case 0x0a:
        return this.remember()
      case 0x0b:
        return this.restoreState()
      case 0x0c: // def_cfa
        return this.defCfa(cur.uleb(), cur.uleb())
      case 0x0d: // def_cfa_register
        return this.defCfa(cur.uleb(), this.row.cfaOffset)
      case 0x0e: // def_cfa_offset
        return this.defCfa(this.row.cfaReg, cur.uleb())
      case 0x0f:
        return this.defCfaExpression(cur)
      case 0x10:
        return this.exprRule(cur, RuleKind.EXPRESSION)
      case 0x11: // offset_extended_sf
        return this.rule(cur.uleb(), RuleKind.OFFSET, cur.sleb() * cie.dataAlign)
      case 0x12: // def_cfa_sf
        return this.defCfa(cur.uleb(), cur.sleb() * cie.dataAlign)
      case 0x13: // def_cfa_offset_sf
        return this.defCfa(this.row.cfaReg, cur.sleb() * cie.dataAlign)
      case 0x14: // val_offset
        return this.rule(cur.uleb(), RuleKind.VAL_OFFSET, cur.uleb() * cie.dataAlign)
      case 0x15: // val_offset_sf
        return this.rule(cur.uleb(), RuleKind.VAL_OFFSET, cur.sleb() * cie.dataAlign)
      case 0x16:
        return this.exprRule(cur, RuleKind.VAL_EXPRESSION)
      case 0x2e: // GNU_args_size: only matters for exception landing pads
        cur.uleb()
        return undefined
      case 0x2f: // GNU_negative_offset_extended
        return this.rule(cur.uleb(), RuleKind.OFFSET, -cur.uleb() * cie.dataAlign)
      default:
        return 'unknownOpcode'
    }
  }

  private advanceTo(loc: number): CfiProgramFailure | undefined {
    if (this.sink === undefined) return 'advanceInCie'
    if (loc > this.loc) {
      if (this.cur!.bad) return 'truncatedInstructions'
      this.sink(this.loc, this.row)
      this.loc = loc
    }
    return undefined
  }

  private setLoc(cur: CfiCursor): CfiProgramFailure | undefined {
    const section = this.fdes.section
    const enc = section.kind === 'eh_frame' || this.cie.hasAugData ? this.cie.fdeEncoding : 0
    const loc = cur.pointer(enc, section.bases)
    if (cur.bad || loc < this.loc) return Number.isNaN(loc) || loc < this.loc ? 'badSetLoc' : 'truncatedInstructions'
    return this.advanceTo(loc)
  }

  private rule(reg: number, kind: number, value: number): CfiProgramFailure | undefined {
    this.setRule(reg, kind, value, 0)
    return undefined
  }

  private setRule(reg: number, kind: number, value: number, exprEnd: number): void {
    const r = this.row
    if (reg === DW_REG_RBP) {
      r.bpKind = kind
      r.bpValue = value
      r.bpExprEnd = exprEnd
    } else if (reg === this.cie.raColumn) {
      r.raKind = kind
      r.raValue = value
      r.raExprEnd = exprEnd
    }
  }

  /** DW_CFA_restore: back to the rule the CIE's initial instructions left (UNSPECIFIED in the CIE itself). */
  private restore(reg: number): void {
    const i = this.initial
    if (this.sink === undefined) this.setRule(reg, RuleKind.UNSPECIFIED, 0, 0)
    else if (reg === DW_REG_RBP) this.setRule(reg, i.bpKind, i.bpValue, i.bpExprEnd)
    else if (reg === this.cie.raColumn) this.setRule(reg, i.raKind, i.raValue, i.raExprEnd)
  }

  private defCfa(reg: number, offset: number): CfiProgramFailure | undefined {
    const r = this.row
    r.cfaKind = CfaKind.REG_OFFSET
    r.cfaReg = reg
    r.cfaOffset = offset
    return undefined
  }

  private defCfaExpression(cur: CfiCursor): CfiProgramFailure | undefined {
    const len = cur.uleb()
    const start = cur.pos
    if (cur.bad || start + len > cur.end) return 'truncatedInstructions'
    const r = this.row
    r.cfaKind = CfaKind.EXPRESSION
    r.cfaExprStart = start
    r.cfaExprEnd = start + len
    cur.pos = start + len
    return undefined
  }

  private exprRule(cur: CfiCursor, kind: number): CfiProgramFailure | undefined {
    const reg = cur.uleb()
    const len = cur.uleb()
    const start = cur.pos
    if (cur.bad || start + len > cur.end) return 'truncatedInstructions'
    cur.pos = start + len
    this.setRule(reg, kind, start, start + len)
    return undefined
  }

  /** remember_state saves the CFA too (GCC/libgcc and readelf do; glibc's CFI relies on it). */
  private remember(): CfiProgramFailure | undefined {
    if (this.depth >= MAX_STATE_DEPTH) return 'stateStackOverflow'
    let slot = this.stack[this.depth]
    if (slot === undefined) {
      slot = new CfaRow()
      this.stack.push(slot)
    }
    slot.copyFrom(this.row)
    this.depth++
    return undefined
  }

  private restoreState(): CfiProgramFailure | undefined {
    if (this.depth === 0) return 'restoreWithoutRemember'
    this.depth--
    this.row.copyFrom(this.stack[this.depth]!)
    return undefined
  }
}
