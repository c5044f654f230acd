/**
 * SFrame FDE/FREs → ORC entries. SFrame (v1/v2) can only say "CFA = SP|FP + off, RA at CFA+r,
 * FP saved at CFA+f", which maps one-to-one onto ORC CALL entries:
 *   base SP/FP + off → sp:sp+off / sp:bp+off;  FP offset present → bp:prevsp+f, absent → bp:(und);
 *   RA (AMD64: fixed at CFA-8 in the header) must be -8.
 * PCMASK FDEs (PLT stubs) repeat their FREs every rep_size bytes. Gaps between functions, and
 * functions whose FREs are malformed, become UNDEFINED entries (the unwinder's FP fallback).
 */
import { Fre, readFre, SFRAME_FDE_TYPE_PCMASK, type SframeSection } from '../../parsers/sframe/sframe.js'
import { OrcTableBuilder, type CompileStats } from './compile-cfi.js'
import { OrcReg, OrcType } from './entry.js'
import type { OrcTable } from './table.js'

const MAX_FUNC_SIZE = 256 * 1024 * 1024
/** PCMASK repeat blocks per FDE beyond this are corrupt input (1 Mi PLT slots = 16 MiB of stubs). */
const MAX_SLOTS = 1 << 20
const fitsS16 = (v: number): boolean => v >= -32768 && v <= 32767

export function compileSframe(s: SframeSection, stats: CompileStats): OrcTable {
  const b = new OrcTableBuilder()
  const fre = new Fre()
  const order = Array.from({ length: s.numFdes }, (_, i) => i).sort((x, y) => s.fdeStart[x]! - s.fdeStart[y]!)
  let prevEnd = Number.NEGATIVE_INFINITY
  for (let k = 0; k < order.length; k++) {
    const i = order[k]!
    const start = s.fdeStart[i]!
    const end = start + s.fdeSize[i]!
    if (!(s.fdeSize[i]! > 0 && s.fdeSize[i]! <= MAX_FUNC_SIZE && start >= 0)) {
      stats.absurdRange++
      continue
    }
    if (start < prevEnd) {
      stats.overlappingFde++
      continue
    }
    if (start > prevEnd && b.length > 0) b.pushUndefined(prevEnd)
    stats.sframeFdes++
    const mark = b.length
    if (!compileFde(s, i, start, end, fre, b, stats)) {
      stats.sframeBadFres++
      b.truncate(mark)
      b.pushUndefined(start)
    }
    prevEnd = end
  }
  if (b.length > 0) b.pushUndefined(prevEnd)
  const t = b.finish()
  stats.entries = t.length
  return t
}

/** Emit FDE i's entries; false when an FRE is malformed (the caller turns the FDE into a gap). */
function compileFde(s: SframeSection, i: number, start: number, end: number, fre: Fre, b: OrcTableBuilder, stats: CompileStats): boolean {
  const pcmask = ((s.fdeInfo[i]! >> 4) & 1) === SFRAME_FDE_TYPE_PCMASK
  const rep = pcmask ? s.fdeRepSize[i]! : end - start
  if (rep === 0 || (end - start) / rep > MAX_SLOTS) return false
  // Slots of a PCMASK FDE are few (PLT entries); a PCINC FDE has exactly one "slot".
  for (let base = start; base < end; base += rep) {
    let pos = s.fdeFrePos[i]!
    let prevOff = -1
    for (let n = 0; n < s.fdeFreNum[i]!; n++) {
      pos = readFre(s, i, pos, fre)
      if (pos < 0 || fre.startOff <= prevOff) return false
      prevOff = fre.startOff
      const ip = base + fre.startOff
      if (ip >= end || (pcmask && fre.startOff >= rep)) break
      if (base === start) stats.rows++
      emitFre(s, ip, fre, b, stats)
    }
  }
  return true
}

function emitFre(s: SframeSection, ip: number, fre: Fre, b: OrcTableBuilder, stats: CompileStats): void {
  const ra = Number.isNaN(fre.raOffset) ? s.cfaFixedRaOffset : fre.raOffset
  if (ra !== -8) {
    stats.raNotAtCfaMinus8++
    stats.rowsUnexpressible++
    b.pushUndefined(ip)
    return
  }
  const hasFp = !Number.isNaN(fre.fpOffset)
  if (!fitsS16(fre.cfaOffset) || (hasFp && !fitsS16(fre.fpOffset))) {
    stats.offsetTooLarge++
    stats.rowsUnexpressible++
    b.pushUndefined(ip)
    return
  }
  b.push(
    ip,
    fre.cfaBaseIsSp ? OrcReg.SP : OrcReg.BP,
    fre.cfaOffset,
    hasFp ? OrcReg.PREV_SP : OrcReg.UNDEFINED,
    hasFp ? fre.fpOffset : 0,
    OrcType.CALL,
    false,
  )
}
