/**
 * DWARF CFI rows → ORC entries, the user-space analogue of objtool's init_orc_entry
 * (tools/objtool/arch/x86/orc.c@b8e85e6f) fed by .eh_frame/.debug_frame instead of objtool's own
 * instruction decoding. Mapping (x86-64 DWARF regs: rax 0, rdx 1, rdi 5, rbp 6, rsp 7, r10 10,
 * r13 13, RA column 16):
 *
 *   CFA = rsp+N            → sp:sp+N            CFA = rbp+N → sp:bp+N
 *   CFA = r10/r13/rdi/rdx/rax + 0 (GCC DRAP prologue) → sp:r10 etc. (kernel ignores the offset)
 *   CFA = *(rbp+N)  (DRAP body, DW_OP_breg6 N; DW_OP_deref) → sp:(bp+N) i.e. BP_INDIRECT
 *   CFA = PLT expression rsp+A+((rip&15)>=K ? 8 : 0) → per-16-byte-slot sp:sp+A / sp:sp+A+8
 *   rbp saved at CFA+M → bp:prevsp+M;  rbp at *(rbp+M) (DRAP) → bp:bp+M;  same/undefined → bp:(und)
 *   RA at CFA-8 → type:call;  RA undefined (_start, clone3 roots) → type:end
 *   RA in rax/rdx/rdi/r10/r13 (glibc __vfork: rdi) → type:call (ra in di) etc., our own RA_REG (entry.ts)
 *   signal trampoline ('S' CIE, glibc __restore_rt) → type:regs sp:sp+40 signal:1 (see below)
 *   anything else, or an offset outside s16 → UNDEFINED (a gap), reason counted in CompileStats.
 */
import type { Cie, FdeList } from '../../parsers/dwarf-cfi/entries.js'
import { matchBreg, matchBregDeref, matchPltCfa } from '../../parsers/dwarf-cfi/expressions.js'
import { newCfiFailureCounts, type CfiFailureCounts } from '../../parsers/dwarf-cfi/failures.js'
import { CfaInterpreter, CfaKind, RuleKind, type CfaRow } from '../../parsers/dwarf-cfi/interpreter.js'
import { OrcReg, OrcType } from './entry.js'
import { OrcTable, packTypeSignal } from './table.js'

export const ORC_CONVERSION_FAILURES = [
  /** CFA is a DWARF expression we do not recognise (only PLT, DRAP and signal patterns are). */
  'cfaIsExpression',
  /** CFA = reg+off with a base ORC cannot hold (or DRAP register with a non-zero offset). */
  'cfaRegisterUnsupported',
  /** RA is neither saved at CFA-8 (ORC CALL frames read it at prev_sp - 8) nor in a register ORC names. */
  'raNotAtCfaMinus8',
  /** No rule at all for the RA column (a CIE without the usual "ra at cfa-8"). */
  'raUnspecified',
  /** sp_offset / bp_offset outside s16 (e.g. a 40 KB local array). */
  'offsetTooLarge',
  /** rbp saved by a DWARF expression other than DRAP's *(rbp+N). */
  'bpRuleIsExpression',
  /** rbp rule is val_offset or "in register N". */
  'bpRuleUnsupported',
  /** 'S' CIE whose CFA is not glibc's *(rsp + 40 + 120) sigcontext pattern. */
  'signalFrameUnrecognised',
  /** PLT expression over more than 1 Mi slots (corrupt range). */
  'pltTooLong',
] as const
export type OrcConversionFailure = (typeof ORC_CONVERSION_FAILURES)[number]

/** What a compile did: counts of inputs and outputs, and every reason something became a gap. */
export type CompileStats = CfiFailureCounts &
  Record<OrcConversionFailure, number> & {
    /** FDEs accepted for compilation. */
    fdes: number
    /** FDEs whose program failed (whole FDE became one gap). */
    fdesFailed: number
    /** .debug_frame FDEs dropped because .eh_frame already covers their range. */
    debugFrameShadowed: number
    rows: number
    /** Rows compiled to an UNDEFINED gap (sum of the conversion failures). */
    rowsUnexpressible: number
    pltRows: number
    signalFrames: number
    endOfStackRows: number
    /** Rows whose RA is in a register (type RA_REG). */
    raInRegisterRows: number
    /** SFrame FDEs/FREs (compile-sframe.ts). */
    sframeFdes: number
    sframeBadFres: number
    /** Entries in the finished table. */
    entries: number
  }

export function newCompileStats(): CompileStats {
  const s = newCfiFailureCounts() as CompileStats
  for (const k of ORC_CONVERSION_FAILURES) s[k] = 0
  s.fdes = s.fdesFailed = s.debugFrameShadowed = s.rows = s.rowsUnexpressible = 0
  s.pltRows = s.signalFrames = s.endOfStackRows = s.raInRegisterRows = s.sframeFdes = s.sframeBadFres = s.entries = 0
  return s
}

/**
 * Growable typed-array builder for tables compiled in address order (CFI, SFrame). Appends do what
 * objtool's orc_create does: an entry identical to the previous one is dropped (it would only
 * repeat the same state); an entry at the same address as the previous one replaces it (DWARF
 * "advance_loc 0" rows: the last rule set at an address wins).
 */
export class OrcTableBuilder {
  length = 0
  private ips = new Float64Array(1024)
  private sp = new Int16Array(1024)
  private bp = new Int16Array(1024)
  private regs = new Uint8Array(1024)
  private ts = new Uint8Array(1024)

  /** Append (or replace/drop, see the class comment). Offsets must already fit s16. */
  push(
    ip: number, spReg: number, spOffset: number, bpReg: number, bpOffset: number, type: number, signal: boolean, raReg = 0,
  ): void {
    const regs = (spReg & 15) | ((bpReg & 15) << 4)
    const ts = packTypeSignal(type, signal, raReg)
    let n = this.length
    if (n > 0 && this.ips[n - 1] === ip) n--
    if (
      n > 0 &&
      this.regs[n - 1] === regs &&
      this.ts[n - 1] === ts &&
      this.sp[n - 1] === spOffset &&
      this.bp[n - 1] === bpOffset
    ) {
      this.length = n
      return
    }
    if (n === this.ips.length) this.grow()
    this.ips[n] = ip
    this.sp[n] = spOffset
    this.bp[n] = bpOffset
    this.regs[n] = regs
    this.ts[n] = ts
    this.length = n + 1
  }

  /** A gap / unexpressible range: the unwinder falls back to a frame-pointer guess there. */
  pushUndefined(ip: number): void {
    this.push(ip, OrcReg.UNDEFINED, 0, OrcReg.UNDEFINED, 0, OrcType.UNDEFINED, false)
  }

  /** Address of the last entry, or -Infinity when empty. */
  lastIp(): number {
    return this.length > 0 ? this.ips[this.length - 1]! : Number.NEGATIVE_INFINITY
  }

  /** Drop entries back to `length` (rolling back a failed FDE). */
  truncate(length: number): void {
    if (length < this.length) this.length = length
  }

  /** Copy out exact-size arrays; the table's UNDEFINED entries are gaps, not "stop" markers. */
  finish(): OrcTable {
    const n = this.length
    const t = new OrcTable(
      this.ips.slice(0, n),
      this.sp.slice(0, n),
      this.bp.slice(0, n),
      this.regs.slice(0, n),
      this.ts.slice(0, n),
    )
    t.undefinedIsGap = true
    return t
  }

  private grow(): void {
    const cap = this.ips.length * 2
    const ips = new Float64Array(cap)
    ips.set(this.ips)
    this.ips = ips
    const sp = new Int16Array(cap)
    sp.set(this.sp)
    this.sp = sp
    const bp = new Int16Array(cap)
    bp.set(this.bp)
    this.bp = bp
    const regs = new Uint8Array(cap)
    regs.set(this.regs)
    this.regs = regs
    const ts = new Uint8Array(cap)
    ts.set(this.ts)
    this.ts = ts
  }
}

/** One compiled entry (reused scratch). `pltSplit` > 0 marks a PLT row: see emitPlt. */
export class OrcScratch {
  spReg = 0
  spOffset = 0
  bpReg = 0
  bpOffset = 0
  type = 0
  signal = false
  raReg = 0
  pltSplit = 0
}

const S16_MIN = -32768
const S16_MAX = 32767
const fitsS16 = (v: number): boolean => v >= S16_MIN && v <= S16_MAX

/**
 * DWARF register → the ORC register of that name (objtool's CFI_R10/R13/DI/DX/AX): CFA bases of
 * DRAP prologues, and registers holding the RA.
 */
const ORC_REGS: Record<number, number> = { 0: OrcReg.AX, 1: OrcReg.DX, 5: OrcReg.DI, 10: OrcReg.R10, 13: OrcReg.R13 }

/**
 * glibc's __restore_rt (sysdeps/unix/sysv/linux/x86_64/libc_sigaction.c) describes its frame with
 * DW_CFA_def_cfa_expression (DW_OP_breg7 (rsp): 160; DW_OP_deref) and r8 at rsp+40, ..., rsp at
 * rsp+160, rip at rsp+168 (readelf --debug-dump=frames on Debian 12's libc.so.6). When the handler
 * returns into __restore_rt, `ret` has popped rt_sigframe.pretcode, so rsp = &uc (the ucontext).
 * uc_flags (8) + uc_link (8) + uc_stack (stack_t, 24) = 40 bytes precede uc_mcontext, which is the
 * x86-64 struct sigcontext: r8 at +0 ... rsp at +120, rip at +128. Hence CFA = *(rsp + 40 + 120),
 * and the shared convention with the unwinder is: type REGS, sp:sp+40, signal 1, meaning
 * "rsp + sp_offset points at struct sigcontext" (NOT a pt_regs: the unwinder reads rip at +128,
 * rsp at +120, rbp at +80). We derive sp_offset = N - 120 from the expression itself.
 */
export const SIGCONTEXT_RSP_OFFSET = 120
export const SIGFRAME_SIGCONTEXT_OFFSET = 40

/** Compile one row. Returns a failure reason (the row becomes a gap) or undefined with `out` set. */
export function compileRow(row: CfaRow, cie: Cie, bytes: Uint8Array, out: OrcScratch): OrcConversionFailure | undefined {
  out.signal = cie.signalFrame
  out.pltSplit = 0
  out.raReg = 0
  out.bpReg = OrcReg.UNDEFINED
  out.bpOffset = 0
  if (row.raKind === RuleKind.UNDEFINED) {
    out.type = OrcType.END_OF_STACK
    out.spReg = OrcReg.UNDEFINED
    out.spOffset = 0
    return undefined
  }
  out.type = OrcType.CALL
  const cfa = row.cfaKind === CfaKind.EXPRESSION ? compileCfaExpression(row, cie, bytes, out) : compileCfaReg(row, out)
  if (cfa !== undefined || out.type === OrcType.REGS) return cfa
  if (row.raKind === RuleKind.UNSPECIFIED) return 'raUnspecified'
  if (row.raKind === RuleKind.REGISTER) {
    const reg = ORC_REGS[row.raValue]
    if (reg === undefined) return 'raNotAtCfaMinus8'
    out.type = OrcType.RA_REG
    out.raReg = reg
  } else if (row.raKind !== RuleKind.OFFSET || row.raValue !== -8) return 'raNotAtCfaMinus8'
  return compileBpRule(row, bytes, out)
}

function compileCfaReg(row: CfaRow, out: OrcScratch): OrcConversionFailure | undefined {
  if (row.cfaReg === 7 || row.cfaReg === 6) {
    if (!fitsS16(row.cfaOffset)) return 'offsetTooLarge'
    out.spReg = row.cfaReg === 7 ? OrcReg.SP : OrcReg.BP
    out.spOffset = row.cfaOffset
    return undefined
  }
  const drap = ORC_REGS[row.cfaReg]
  if (drap === undefined || row.cfaOffset !== 0) return 'cfaRegisterUnsupported'
  out.spReg = drap
  out.spOffset = 0
  return undefined
}

function compileCfaExpression(row: CfaRow, cie: Cie, bytes: Uint8Array, out: OrcScratch): OrcConversionFailure | undefined {
  const deref = matchBregDeref(bytes, row.cfaExprStart, row.cfaExprEnd)
  if (deref !== undefined && deref.reg === 7 && cie.signalFrame) {
    const off = deref.offset - SIGCONTEXT_RSP_OFFSET
    if (!fitsS16(off)) return 'offsetTooLarge'
    out.type = OrcType.REGS
    out.spReg = OrcReg.SP
    out.spOffset = off
    out.signal = true
    return undefined
  }
  if (cie.signalFrame) return 'signalFrameUnrecognised'
  if (deref !== undefined && deref.reg === 6) {
    if (!fitsS16(deref.offset)) return 'offsetTooLarge'
    out.spReg = OrcReg.BP_INDIRECT
    out.spOffset = deref.offset
    return undefined
  }
  const plt = matchPltCfa(bytes, row.cfaExprStart, row.cfaExprEnd)
  if (plt === undefined) return 'cfaIsExpression'
  if (!fitsS16(plt.a + 8)) return 'offsetTooLarge'
  out.spReg = OrcReg.SP
  out.spOffset = plt.a
  out.pltSplit = plt.k
  return undefined
}

function compileBpRule(row: CfaRow, bytes: Uint8Array, out: OrcScratch): OrcConversionFailure | undefined {
  switch (row.bpKind) {
    case RuleKind.UNSPECIFIED:
    case RuleKind.UNDEFINED:
    case RuleKind.SAME_VALUE:
      return undefined
    case RuleKind.OFFSET:
      if (!fitsS16(row.bpValue)) return 'offsetTooLarge'
      out.bpReg = OrcReg.PREV_SP
      out.bpOffset = row.bpValue
      return undefined
    case RuleKind.EXPRESSION: {
      // DRAP: GCC saves rbp at the address rbp+M (DW_OP_breg6 M) → ORC bp:bp+M = *(bp+M).
      const b = matchBreg(bytes, row.bpValue, row.bpExprEnd)
      if (b === undefined || b.reg !== 6) return 'bpRuleIsExpression'
      if (!fitsS16(b.offset)) return 'offsetTooLarge'
      out.bpReg = OrcReg.BP
      out.bpOffset = b.offset
      return undefined
    }
    case RuleKind.VAL_EXPRESSION:
      return 'bpRuleIsExpression'
    default:
      return 'bpRuleUnsupported'
  }
}

/** One FDE chosen for compilation. */
export interface FdeRef {
  list: FdeList
  index: number
}

/** More PLT slots than this in one row is a corrupt range (a PLT of 1 Mi entries is 16 MiB). */
const MAX_PLT_SLOTS = 1 << 20

/**
 * Compile FDEs (sorted by pcBegin, non-overlapping: binary-tables.ts selects them) into a table.
 * An FDE whose program fails becomes one gap; every range no FDE covers is a gap too.
 */
export function compileFdes(refs: readonly FdeRef[], stats: CompileStats): OrcTable {
  return new CfiCompiler().compile(refs, stats)
}

/**
 * compileFdes with its builder, interpreter and scratch kept between calls: the lazy per-FDE tables
 * (binary-tables.ts LazyBinaryTable) compile one FDE at a time, hundreds of times per run.
 */
export class CfiCompiler {
  private readonly b = new OrcTableBuilder()
  private readonly interp = new CfaInterpreter()
  private readonly e = new OrcScratch()
  private readonly plt = new OrcScratch()

  compile(refs: readonly FdeRef[], stats: CompileStats): OrcTable {
    const b = this.b
    const interp = this.interp
    const e = this.e
    const plt = this.plt
    b.truncate(0)
    let cie: Cie
    let bytes: Uint8Array
    // A PLT row is emitted once its end is known (the next row's loc, or the FDE end).
    let pltStart = -1
    const flushPlt = (end: number): void => {
      if (pltStart >= 0) emitPlt(b, pltStart, end, plt, stats)
      pltStart = -1
    }
    const sink = (loc: number, row: CfaRow): void => {
      flushPlt(loc)
      stats.rows++
      const fail = compileRow(row, cie, bytes, e)
      if (fail !== undefined) {
        stats[fail]++
        stats.rowsUnexpressible++
        b.pushUndefined(loc)
      } else if (e.pltSplit > 0) {
        copyScratch(plt, e)
        pltStart = loc
      } else {
        if (e.type === OrcType.END_OF_STACK) stats.endOfStackRows++
        if (e.type === OrcType.REGS) stats.signalFrames++
        if (e.type === OrcType.RA_REG) stats.raInRegisterRows++
        b.push(loc, e.spReg, e.spOffset, e.bpReg, e.bpOffset, e.type, e.signal, e.raReg)
      }
    }
    for (let r = 0; r < refs.length; r++) {
      const { list, index } = refs[r]!
      cie = list.cies[list.cieIndex[index]!]!
      bytes = list.section.bytes
      const begin = list.pcBegin[index]!
      const end = list.pcEnd[index]!
      const mark = b.length
      stats.fdes++
      const fail = interp.run(list, index, sink)
      flushPlt(end)
      if (fail !== undefined) {
        stats[fail]++
        stats.fdesFailed++
        b.truncate(mark)
        b.pushUndefined(begin)
      }
      const next = refs[r + 1]
      if (next === undefined || next.list.pcBegin[next.index]! > end) b.pushUndefined(end)
    }
    const table = b.finish()
    stats.entries += table.length
    return table
  }
}

function copyScratch(dst: OrcScratch, src: OrcScratch): OrcScratch {
  dst.spReg = src.spReg
  dst.spOffset = src.spOffset
  dst.bpReg = src.bpReg
  dst.bpOffset = src.bpOffset
  dst.type = src.type
  dst.signal = src.signal
  dst.raReg = src.raReg
  dst.pltSplit = src.pltSplit
  return dst
}

/** Per-16-byte-slot entries for [start, end): sp+A before byte K of each slot, sp+A+8 from K on. */
function emitPlt(b: OrcTableBuilder, start: number, end: number, p: OrcScratch, stats: CompileStats): void {
  if ((end - start) / 16 > MAX_PLT_SLOTS) {
    stats.pltTooLong++
    b.pushUndefined(start)
    return
  }
  stats.pltRows++
  let ip = start
  while (ip < end) {
    const inSlot = ip % 16
    const after = inSlot >= p.pltSplit
    b.push(ip, OrcReg.SP, after ? p.spOffset + 8 : p.spOffset, p.bpReg, p.bpOffset, p.type, p.signal, p.raReg)
    ip += after ? 16 - inSlot : p.pltSplit - inSlot
  }
}
