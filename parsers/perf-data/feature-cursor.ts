/**
 * Bounds-checked reader over one feature section (or HEADER_FEATURE body). Every length field in
 * a feature is checked against the bytes left before anything is allocated from it.
 */
import { PerfDataError } from '../common/errors.js'

const utf8 = new TextDecoder('utf-8', { fatal: false })

/** Decode a NUL-padded C string from `bytes`, stopping at the first NUL. */
export function cString(bytes: Uint8Array): string {
  const nul = bytes.indexOf(0)
  return utf8.decode(nul < 0 ? bytes : bytes.subarray(0, nul))
}

export class FeatureCursor {
  private pos: number
  private readonly start: number
  private readonly end: number

  constructor(
    private readonly view: DataView,
    start: number,
    length: number,
    /** Stream offset of `start`, for error messages. */
    private readonly fileOffset: number,
    private readonly what: string,
  ) {
    this.start = start
    this.pos = start
    this.end = start + length
  }

  get remaining(): number {
    return this.end - this.pos
  }

  private need(n: number): number {
    if (n > this.end - this.pos) {
      const at = this.fileOffset + (this.pos - this.start)
      throw new PerfDataError(`${this.what}: needs ${n} bytes, ${this.end - this.pos} left`, at)
    }
    const p = this.pos
    this.pos += n
    return p
  }

  u32(): number {
    return this.view.getUint32(this.need(4), true)
  }

  u64(): number {
    const p = this.need(8)
    return this.view.getUint32(p + 4, true) * 4294967296 + this.view.getUint32(p, true)
  }

  u64Big(): bigint {
    return this.view.getBigUint64(this.need(8), true)
  }

  bytes(n: number): Uint8Array {
    const p = this.need(n)
    return new Uint8Array(this.view.buffer, this.view.byteOffset + p, n)
  }

  /** perf_header_string: u32 len (NUL-padded to 64) then the bytes. */
  string(): string {
    return cString(this.bytes(this.u32()))
  }

  /** u32 nr, then nr strings; nr is checked against the bytes left (each string >= 4 bytes). */
  stringList(): string[] {
    const nr = this.count(4)
    const out: string[] = []
    for (let i = 0; i < nr; i++) out.push(this.string())
    return out
  }

  /** A u32 element count, rejected when nr * minElementSize exceeds what is left. */
  count(minElementSize: number): number {
    const nr = this.u32()
    if (nr * minElementSize > this.remaining) {
      throw new PerfDataError(`${this.what}: count ${nr} exceeds section size`, this.fileOffset)
    }
    return nr
  }

  /** Byte position inside the view (for sub-parsers that need it). */
  get position(): number {
    return this.pos
  }

  skip(n: number): void {
    this.need(n)
  }
}
