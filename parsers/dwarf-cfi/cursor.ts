/**
 * A bounds-checked little-endian reader over one CFI section, with LEB128 and the .eh_frame
 * pointer encodings (DW_EH_PE_*, LSB "Linux Standard Base Core Specification" §10.5.1).
 *
 * Reads never throw: a read past `end` sets `bad` and returns 0, so the per-FDE code checks one
 * flag after a group of reads instead of wrapping every field in try/catch (style S4: the hot path
 * counts, it does not throw). `end` is narrowed to the current entry while parsing it, so a corrupt
 * length cannot make us read a neighbouring entry as if it belonged to this one.
 */

export const DW_EH_PE = {
  absptr: 0x00,
  uleb128: 0x01,
  udata2: 0x02,
  udata4: 0x03,
  udata8: 0x04,
  sleb128: 0x09,
  sdata2: 0x0a,
  sdata4: 0x0b,
  sdata8: 0x0c,
  pcrel: 0x10,
  textrel: 0x20,
  datarel: 0x30,
  funcrel: 0x40,
  aligned: 0x50,
  indirect: 0x80,
  omit: 0xff,
} as const

/** Bases for the "application" half of a pointer encoding (bits 4-6). */
export interface PointerBases {
  /** Virtual address of byte 0 of the section being read (for pcrel). */
  sectionAddr: number
  /** For textrel (rare; .text address). */
  text?: number
  /** For datarel: .eh_frame_hdr's own address there; the GOT (.got.plt) inside .eh_frame. */
  data?: number
  /** Reads a u64 at a virtual address of the binary, for DW_EH_PE_indirect. */
  readPointer?: (vaddr: number) => number | undefined
}

const TWO_32 = 4294967296
/** Values beyond this are not real addresses; treated as a failed read. */
const MAX_SAFE = Number.MAX_SAFE_INTEGER

export class CfiCursor {
  readonly view: DataView
  pos = 0
  end: number
  bad = false

  constructor(readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    this.end = bytes.byteLength
  }

  private need(n: number): boolean {
    if (this.pos + n > this.end || this.pos < 0) {
      this.bad = true
      this.pos = this.end
      return false
    }
    return true
  }

  u8(): number {
    if (!this.need(1)) return 0
    return this.bytes[this.pos++]!
  }
  u16(): number {
    if (!this.need(2)) return 0
    const v = this.view.getUint16(this.pos, true)
    this.pos += 2
    return v
  }
  s16(): number {
    if (!this.need(2)) return 0
    const v = this.view.getInt16(this.pos, true)
    this.pos += 2
    return v
  }
  u32(): number {
    if (!this.need(4)) return 0
    const v = this.view.getUint32(this.pos, true)
    this.pos += 4
    return v
  }
  s32(): number {
    if (!this.need(4)) return 0
    const v = this.view.getInt32(this.pos, true)
    this.pos += 4
    return v
  }
  /** u64 as a number; values above 2^53 set `bad` (no real address or length is that large). */
  u64(): number {
    if (!this.need(8)) return 0
    const lo = this.view.getUint32(this.pos, true)
    const hi = this.view.getUint32(this.pos + 4, true)
    this.pos += 8
    if (hi >= 0x200000) {
      this.bad = true
      return 0
    }
    return hi * TWO_32 + lo
  }
  /** s64 as a number (sign kept); magnitudes above 2^53 set `bad`. */
  s64(): number {
    if (!this.need(8)) return 0
    const lo = this.view.getUint32(this.pos, true)
    const hi = this.view.getInt32(this.pos + 4, true)
    this.pos += 8
    const v = hi * TWO_32 + lo
    if (!Number.isSafeInteger(v)) this.bad = true
    return v
  }

  uleb(): number {
    let result = 0
    let mul = 1
    for (;;) {
      if (!this.need(1)) return 0
      const b = this.bytes[this.pos++]!
      result += (b & 0x7f) * mul
      if ((b & 0x80) === 0) break
      mul *= 128
      if (mul > MAX_SAFE) {
        this.bad = true
        return 0
      }
    }
    return result
  }

  sleb(): number {
    let result = 0
    let mul = 1
    let b = 0
    for (;;) {
      if (!this.need(1)) return 0
      b = this.bytes[this.pos++]!
      result += (b & 0x7f) * mul
      mul *= 128
      if ((b & 0x80) === 0) break
      if (mul > MAX_SAFE) {
        this.bad = true
        return 0
      }
    }
    if (b & 0x40) result -= mul
    return result
  }

  /**
   * Read a pointer in encoding `enc`. Returns NaN (and sets `bad`) for encodings we cannot
   * evaluate: aligned, funcrel (only meaningful inside an FDE's own data), a missing base, or an
   * indirect pointer we cannot dereference.
   */
  pointer(enc: number, bases: PointerBases): number {
    if (enc === DW_EH_PE.omit) return 0
    const fieldAddr = bases.sectionAddr + this.pos
    let v: number
    switch (enc & 0x0f) {
      case DW_EH_PE.absptr:
      case DW_EH_PE.udata8:
        v = this.u64()
        break
      case DW_EH_PE.uleb128:
        v = this.uleb()
        break
      case DW_EH_PE.udata2:
        v = this.u16()
        break
      case DW_EH_PE.udata4:
        v = this.u32()
        break
      case DW_EH_PE.sleb128:
        v = this.sleb()
        break
      case DW_EH_PE.sdata2:
        v = this.s16()
        break
      case DW_EH_PE.sdata4:
        v = this.s32()
        break
      case DW_EH_PE.sdata8:
        v = this.s64()
        break
      default:
        return this.fail()
    }
    return this.applyBase(enc, v, fieldAddr, bases)
  }

  private applyBase(enc: number, v: number, fieldAddr: number, bases: PointerBases): number {
    switch (enc & 0x70) {
      case 0:
        break
      case DW_EH_PE.pcrel:
        v += fieldAddr
        break
      case DW_EH_PE.textrel:
        if (bases.text === undefined) return this.fail()
        v += bases.text
        break
      case DW_EH_PE.datarel:
        if (bases.data === undefined) return this.fail()
        v += bases.data
        break
      default:
        return this.fail()
    }
    // Pointers are 64-bit: a pcrel sdata4 that wraps below 0 wraps in the target too.
    if (v < 0) v += 2 ** 64
    if (enc & DW_EH_PE.indirect) {
      const d = bases.readPointer?.(v)
      if (d === undefined) return this.fail()
      v = d
    }
    if (!(v <= MAX_SAFE)) return this.fail()
    return v
  }

  private fail(): number {
    this.bad = true
    return Number.NaN
  }
}
