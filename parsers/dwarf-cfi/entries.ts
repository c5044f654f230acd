/**
 * CIE / FDE parsing for .eh_frame (LSB Core §10.6) and .debug_frame (DWARF 5 §6.4.1).
 *
 * The two differ in three places: the CIE id (0 vs 0xffffffff), the FDE's CIE pointer (relative to
 * the pointer field in .eh_frame, a section offset in .debug_frame), and how pc_begin is encoded
 * (the CIE's 'R' augmentation in .eh_frame, a plain address in .debug_frame).
 *
 * The result is a struct of typed arrays (one slot per FDE) plus a small array of CIEs; the CFA
 * programs themselves stay in the section bytes and are interpreted later (interpreter.ts).
 * A corrupt CIE/FDE is counted by reason and skipped; a corrupt *length* ends the walk, since no
 * later entry can be found without it.
 */
import { CfiCursor, DW_EH_PE, type PointerBases } from './cursor.js'
import type { CfiFailure, CfiFailureCounts } from './failures.js'

export type CfiSectionKind = 'eh_frame' | 'debug_frame'

export interface CfiSection {
  kind: CfiSectionKind
  /** The section bytes (a view into the ELF). */
  bytes: Uint8Array
  /** Pointer bases; `sectionAddr` is the section's sh_addr (0 is fine for .debug_frame). */
  bases: PointerBases
}

export interface Cie {
  /** Section offset of the CIE's length field. */
  offset: number
  version: number
  augmentation: string
  codeAlign: number
  dataAlign: number
  raColumn: number
  /** DW_EH_PE_* encoding of FDE pc_begin/pc_range ('R'); absptr for .debug_frame. */
  fdeEncoding: number
  /** 'z': FDEs carry an augmentation-data length to skip. */
  hasAugData: boolean
  /** 'S': FDEs using this CIE describe a signal trampoline (glibc __restore_rt). */
  signalFrame: boolean
  addressSize: number
  instrStart: number
  instrEnd: number
}

/** FDEs of one section, in section order. Parallel arrays; index i describes FDE i. */
export interface FdeList {
  section: CfiSection
  count: number
  pcBegin: Float64Array
  pcEnd: Float64Array
  /** Section offset of the FDE's length field. */
  offset: Uint32Array
  instrStart: Uint32Array
  instrEnd: Uint32Array
  /** Index into `cies`. */
  cieIndex: Uint32Array
  cies: Cie[]
}

/** One function larger than this is corrupt input, not code. */
const MAX_FDE_RANGE = 256 * 1024 * 1024
const DEBUG_FRAME_CIE_ID32 = 0xffffffff

/** Walk every entry of a CFI section; failures are counted into `fails`, never thrown. */
export function parseCfiSection(section: CfiSection, fails: CfiFailureCounts): FdeList {
  const cur = new CfiCursor(section.bytes)
  const cies: Cie[] = []
  const cieByOffset = new Map<number, number | CfiFailure>()
  const fdes: number[][] = [[], [], [], [], [], []]
  const size = section.bytes.byteLength
  let pos = 0
  while (pos + 4 <= size) {
    const h = readEntryHeader(cur, pos, section.kind)
    if (h === undefined) {
      fails.truncatedEntry++
      break
    }
    if (h.length === 0) {
      // .eh_frame's zero terminator (crtend.o); .debug_frame has none, skip padding.
      if (section.kind === 'eh_frame') break
      pos += 4
      continue
    }
    if (!h.isCie) {
      const r = parseFde(cur, section, h, cies, cieByOffset)
      if (typeof r === 'string') fails[r]++
      else for (let k = 0; k < 6; k++) fdes[k]!.push(r[k]!)
    }
    pos = h.end
  }
  return toFdeList(section, fdes, cies)
}

interface EntryHeader {
  start: number
  length: number
  end: number
  idPos: number
  id: number
  isCie: boolean
  /** Position just after the CIE id / CIE pointer. */
  bodyPos: number
}

/** Length + id of the entry at `start`; undefined when the length runs past the section. */
function readEntryHeader(cur: CfiCursor, start: number, kind: CfiSectionKind): EntryHeader | undefined {
  cur.end = cur.bytes.byteLength
  cur.bad = false
  cur.pos = start
  let length = cur.u32()
  let wide = false
  if (length === 0xffffffff) {
    length = cur.u64()
    wide = true
  }
  if (cur.bad) return undefined
  const idPos = cur.pos
  const end = idPos + length
  if (length === 0) return { start, length, end, idPos, id: 0, isCie: false, bodyPos: idPos }
  // .eh_frame's CIE id/pointer is 4 bytes even with a 64-bit length (gimli: cie_offset_encoding).
  const wideId = wide && kind === 'debug_frame'
  if (end > cur.bytes.byteLength || length < (wideId ? 8 : 4)) return undefined
  cur.end = end
  const id = wideId ? cur.u64() : cur.u32()
  // A 64-bit all-ones id does not fit a double exactly; u64() flags it bad, which only a CIE does.
  const isCie = kind === 'eh_frame' ? id === 0 : wideId ? cur.bad : id === DEBUG_FRAME_CIE_ID32
  return { start, length, end, idPos, id, isCie, bodyPos: cur.pos }
}

/** Returns [pcBegin, pcEnd, offset, instrStart, instrEnd, cieIndex] or a failure reason. */
function parseFde(
  cur: CfiCursor,
  section: CfiSection,
  h: EntryHeader,
  cies: Cie[],
  cieByOffset: Map<number, number | CfiFailure>,
): number[] | CfiFailure {
  const ciePos = section.kind === 'eh_frame' ? h.idPos - h.id : h.id
  if (!(ciePos >= 0 && ciePos < section.bytes.byteLength) || ciePos === h.start) return 'badCiePointer'
  let ci = cieByOffset.get(ciePos)
  if (ci === undefined) {
    ci = parseCieAt(cur, section, ciePos, cies)
    cieByOffset.set(ciePos, ci)
  }
  if (typeof ci === 'string') return ci
  const cie = cies[ci]!
  cur.end = h.end
  cur.bad = false
  cur.pos = h.bodyPos
  const enc = section.kind === 'eh_frame' || cie.hasAugData ? cie.fdeEncoding : DW_EH_PE.absptr
  const pcBegin = cur.pointer(enc, section.bases)
  const pcRange = cur.pointer(enc & 0x0f, section.bases)
  if (cur.bad) return Number.isNaN(pcBegin) || Number.isNaN(pcRange) ? 'badPointerEncoding' : 'truncatedEntry'
  if (cie.hasAugData) cur.pos += cur.uleb()
  if (cur.bad || cur.pos > h.end) return 'truncatedEntry'
  if (!(pcRange > 0 && pcRange <= MAX_FDE_RANGE) || pcBegin + pcRange > Number.MAX_SAFE_INTEGER) return 'absurdRange'
  return [pcBegin, pcBegin + pcRange, h.start, cur.pos, h.end, ci]
}

/** Parse the CIE at section offset `pos`; returns its index in `cies` or a failure reason. */
function parseCieAt(cur: CfiCursor, section: CfiSection, pos: number, cies: Cie[]): number | CfiFailure {
  const h = readEntryHeader(cur, pos, section.kind)
  if (h === undefined) return 'truncatedEntry'
  if (!h.isCie || h.length === 0) return 'badCiePointer'
  cur.end = h.end
  cur.bad = false
  cur.pos = h.bodyPos
  const cie = parseCieBody(cur, section, h)
  if (typeof cie === 'string') return cie
  cies.push(cie)
  return cies.length - 1
}

function parseCieBody(cur: CfiCursor, section: CfiSection, h: EntryHeader): Cie | CfiFailure {
  const version = cur.u8()
  if (version !== 1 && version !== 3 && version !== 4) return 'unsupportedCie'
  const augmentation = readCString(cur)
  if (augmentation === undefined) return 'truncatedEntry'
  let addressSize = 8
  if (version === 4) {
    addressSize = cur.u8()
    cur.u8() // segment selector size
    if (addressSize !== 8) return 'unsupportedCie'
  }
  // GCC < 3.0 "eh": a pointer to an exception table follows the augmentation string.
  if (augmentation.startsWith('eh')) cur.pos += 8
  const codeAlign = cur.uleb()
  const dataAlign = cur.sleb()
  const raColumn = version === 1 ? cur.u8() : cur.uleb()
  const cie: Cie = {
    offset: h.start,
    version,
    augmentation,
    codeAlign,
    dataAlign,
    raColumn,
    fdeEncoding: DW_EH_PE.absptr,
    hasAugData: augmentation.startsWith('z'),
    signalFrame: false,
    addressSize,
    instrStart: 0,
    instrEnd: h.end,
  }
  if (cie.hasAugData) {
    const r = parseAugmentationData(cur, section, cie)
    if (r !== undefined) return r
  } else if (augmentation !== '' && !augmentation.startsWith('eh')) {
    return 'unsupportedCie'
  }
  if (cur.bad) return 'truncatedEntry'
  cie.instrStart = cur.pos
  return cie
}

/** The 'z' augmentation: letters in the string say what the length-prefixed data holds. */
function parseAugmentationData(cur: CfiCursor, section: CfiSection, cie: Cie): CfiFailure | undefined {
  const len = cur.uleb()
  const dataEnd = cur.pos + len
  if (cur.bad || dataEnd > cur.end) return 'truncatedEntry'
  for (let i = 1; i < cie.augmentation.length; i++) {
    const c = cie.augmentation[i]
    if (c === 'R') cie.fdeEncoding = cur.u8()
    else if (c === 'L') cur.u8() // LSDA encoding: the FDE's LSDA pointer is skipped via its 'z' length
    else if (c === 'P') {
      // Personality routine: only its size matters; do not dereference (indirect would need .got).
      const enc = cur.u8()
      cur.pointer(enc & 0x7f, { ...section.bases, data: 0, text: 0 })
    } else if (c === 'S') cie.signalFrame = true
    else if (c === 'B' || c === 'G') continue // AArch64 B-key / MTE: no data
    else break // Unknown letter: the rest of the data is skipped thanks to the length.
  }
  if (cur.bad) return 'badPointerEncoding'
  cur.pos = dataEnd
  return undefined
}

function readCString(cur: CfiCursor): string | undefined {
  const start = cur.pos
  let p = start
  while (p < cur.end && cur.bytes[p] !== 0) p++
  if (p >= cur.end) return undefined
  cur.pos = p + 1
  let s = ''
  for (let i = start; i < p; i++) s += String.fromCharCode(cur.bytes[i]!)
  return s
}

function toFdeList(section: CfiSection, cols: number[][], cies: Cie[]): FdeList {
  return {
    section,
    count: cols[0]!.length,
    pcBegin: Float64Array.from(cols[0]!),
    pcEnd: Float64Array.from(cols[1]!),
    offset: Uint32Array.from(cols[2]!),
    instrStart: Uint32Array.from(cols[3]!),
    instrEnd: Uint32Array.from(cols[4]!),
    cieIndex: Uint32Array.from(cols[5]!),
    cies,
  }
}

/**
 * Parses FDEs one at a time by section offset, for lazy compilation through .eh_frame_hdr's search
 * table (unwind/orc/binary-tables.ts LazyBinaryTable): each call returns a one-FDE FdeList (CIEs are
 * parsed once and shared through `cies`) or the reason the entry is unusable, the same reasons and
 * checks parseCfiSection applies to that entry. The list is the parser's own, refilled by the next
 * call: a run parses a few thousand FDEs (each compiled one is checked against its predecessor),
 * and each parse made six one-element typed arrays for the garbage collector.
 */
export class SingleFdeParser {
  readonly cies: Cie[] = []
  private readonly cieByOffset = new Map<number, number | CfiFailure>()
  private readonly cur: CfiCursor
  private readonly one: FdeList

  constructor(readonly section: CfiSection) {
    this.cur = new CfiCursor(section.bytes)
    this.one = {
      section,
      count: 1,
      pcBegin: new Float64Array(1),
      pcEnd: new Float64Array(1),
      offset: new Uint32Array(1),
      instrStart: new Uint32Array(1),
      instrEnd: new Uint32Array(1),
      cieIndex: new Uint32Array(1),
      cies: this.cies,
    }
  }

  /** The FDE whose length field is at section offset `pos` (valid until the next call). */
  parseAt(pos: number): FdeList | CfiFailure {
    if (!(Number.isInteger(pos) && pos >= 0 && pos + 4 <= this.section.bytes.byteLength)) return 'truncatedEntry'
    const h = readEntryHeader(this.cur, pos, this.section.kind)
    if (h === undefined) return 'truncatedEntry'
    if (h.length === 0 || h.isCie) return 'badCiePointer'
    const r = parseFde(this.cur, this.section, h, this.cies, this.cieByOffset)
    if (typeof r === 'string') return r
    const one = this.one
    one.pcBegin[0] = r[0]!
    one.pcEnd[0] = r[1]!
    one.offset[0] = r[2]!
    one.instrStart[0] = r[3]!
    one.instrEnd[0] = r[4]!
    one.cieIndex[0] = r[5]!
    return one
  }
}
