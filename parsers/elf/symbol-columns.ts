import { readAddr, readU64 } from '../common/addr.js'
import { cstring, viewOf } from './bytes.js'

/**
 * One symbol table as columns: row i is Elf64_Sym i (value as an Addr, size, st_info, st_shndx,
 * st_name). Names are decoded from the string table on demand and not kept (callers that print a
 * name often cache it themselves).
 */
export class ElfSymbolColumns {
  readonly count: number
  readonly value: Float64Array
  readonly size: Float64Array
  /** st_info: type = info & 15, bind = info >> 4. */
  readonly info: Uint8Array
  readonly shndx: Uint16Array
  readonly nameOff: Uint32Array

  constructor(
    data: Uint8Array,
    /** The linked string table. */
    readonly strtab: Uint8Array,
  ) {
    const n = Math.floor(data.length / 24)
    this.count = n
    this.value = new Float64Array(n)
    this.size = new Float64Array(n)
    this.info = new Uint8Array(n)
    this.shndx = new Uint16Array(n)
    this.nameOff = new Uint32Array(n)
    if (data.byteOffset % 4 === 0) {
      // Aligned (sections read from a file are fresh buffers): word reads, no DataView.
      const u32 = new Uint32Array(data.buffer, data.byteOffset, n * 6)
      const i32 = new Int32Array(data.buffer, data.byteOffset, n * 6)
      const u16 = new Uint16Array(data.buffer, data.byteOffset, n * 12)
      for (let i = 0; i < n; i++) {
        const w = i * 6
        this.nameOff[i] = u32[w]!
        this.info[i] = data[w * 4 + 4]!
        this.shndx[i] = u16[w * 2 + 3]!
        this.value[i] = i32[w + 3]! * 4294967296 + u32[w + 2]!
        const hi = u32[w + 5]!
        this.size[i] = hi >= 0x200000 ? Number.POSITIVE_INFINITY : hi * 4294967296 + u32[w + 4]!
      }
      return
    }
    const v = viewOf(data)
    for (let i = 0; i < n; i++) {
      const o = i * 24
      this.nameOff[i] = v.getUint32(o, true)
      this.info[i] = data[o + 4]!
      this.shndx[i] = v.getUint16(o + 6, true)
      this.value[i] = readAddr(v, o + 8)
      this.size[i] = readU64(v, o + 16)
    }
  }

  type(i: number): number {
    return this.info[i]! & 15
  }
  bind(i: number): number {
    return this.info[i]! >> 4
  }
  /** True when symbol i has no name (st_name 0, or out of the string table), without decoding it. */
  nameEmpty(i: number): boolean {
    const off = this.nameOff[i]!
    return !(off < this.strtab.length) || this.strtab[off] === 0
  }
  name(i: number): string {
    return cstring(this.strtab, this.nameOff[i]!)
  }
  /** Leading '_' count | length << 16 for an ASCII name shorter than 64 Ki, else -1 (see SymbolColumns.nameShape). */
  nameShape(i: number): number {
    const b = this.strtab
    const off = this.nameOff[i]!
    let e = off
    let u = -1
    for (; e < b.length; e++) {
      const c = b[e]!
      if (c === 0) break
      if (c >= 0x80) return -1
      if (c !== 95 && u < 0) u = e - off
    }
    const len = e - off
    if (u < 0) u = len
    return len < 0x8000 ? u | (len << 16) : -1
  }
}

