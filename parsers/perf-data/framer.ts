/**
 * Record framing over a byte stream that arrives in arbitrary chunks (file reads, stream
 * chunks, zstd output). Records inside a chunk are handed out as views of that chunk; only a
 * record that straddles two chunks is copied, into a buffer of exactly its size (<= 64 KiB,
 * since header.size is a u16). Chunks are never reused, so views stay valid while held.
 */
import { PerfDataError } from '../common/errors.js'

/**
 * Receives one complete record: header at `pos` of `bytes` (and of `view`, which has the same
 * base). Returns how many bytes that follow the record belong to it without being counted in
 * header.size (HEADER_TRACING_DATA, AUXTRACE), which the framer then skips.
 */
export type RecordSink = (
  view: DataView, bytes: Uint8Array, pos: number, type: number, misc: number, size: number, offset: number,
) => number

export const HEADER_SIZE = 8

export class RecordFramer {
  /** Stream offset of the next byte to be consumed. */
  offset: number
  /** Stream offset where records must end (file data.offset + data.size), or Infinity. */
  limit: number
  /** Stream offset one past the last byte pushed or skipped (ahead of `offset` mid-record). */
  fedTo: number
  private stitch: Uint8Array | undefined
  private stitchLen = 0
  private skipLeft = 0
  private readonly header = new Uint8Array(HEADER_SIZE)
  private readonly headerView = new DataView(this.header.buffer)

  constructor(
    private readonly sink: RecordSink,
    startOffset: number,
    limit = Number.POSITIVE_INFINITY,
  ) {
    this.offset = startOffset
    this.fedTo = startOffset
    this.limit = limit
  }

  /** Bytes still owed by a skipped trailing payload (AUXTRACE data), for the reader to skip fast. */
  get pendingSkip(): number {
    return this.skipLeft
  }

  /** True when no partial record or payload is pending: the stream may end here. */
  get atBoundary(): boolean {
    return this.stitchLen === 0 && this.skipLeft === 0
  }

  /** Skip `n` bytes that the reader dropped without pushing them (part of pendingSkip). */
  skipped(n: number): void {
    this.skipLeft -= n
    this.offset += n
    this.fedTo += n
  }

  push(chunk: Uint8Array): void {
    this.fedTo += chunk.length
    const view = new DataView(chunk.buffer, chunk.byteOffset, chunk.byteLength)
    let p = 0
    while (p < chunk.length) {
      if (this.skipLeft > 0) {
        const n = Math.min(this.skipLeft, chunk.length - p)
        this.skipLeft -= n
        this.offset += n
        p += n
      } else if (this.stitchLen > 0) {
        p = this.continueStitch(chunk, p)
      } else if (chunk.length - p < HEADER_SIZE) {
        this.beginStitch(chunk, p, chunk.length - p)
        p = chunk.length
      } else {
        const size = this.checkSize(view.getUint16(p + 6, true))
        if (size > chunk.length - p) {
          this.beginStitch(chunk, p, chunk.length - p)
          p = chunk.length
        } else {
          this.emit(view, chunk, p, size)
          p += size
        }
      }
    }
  }

  /** Called at the end of input: a partial record or payload means the stream was cut. */
  finish(): void {
    if (this.stitchLen > 0) {
      throw new PerfDataError(`stream ends inside a record (${this.stitchLen} of its bytes present)`, this.offset)
    }
    if (this.skipLeft > 0) {
      throw new PerfDataError(`stream ends ${this.skipLeft} bytes short of a record payload`, this.offset)
    }
  }

  private checkSize(size: number): number {
    if (size < HEADER_SIZE) {
      throw new PerfDataError(`record declares size ${size}, smaller than the 8-byte perf_event_header`, this.offset)
    }
    if (this.offset + size > this.limit) {
      throw new PerfDataError(`record of ${size} bytes runs past the end of the data section (0x${this.limit.toString(16)})`, this.offset)
    }
    return size
  }

  private emit(view: DataView, bytes: Uint8Array, pos: number, size: number): void {
    const type = view.getUint32(pos, true)
    const misc = view.getUint16(pos + 4, true)
    const offset = this.offset
    this.offset += size
    const extra = this.sink(view, bytes, pos, type, misc, size, offset)
    if (extra > 0) {
      if (extra > this.limit - this.offset) {
        throw new PerfDataError(`record payload of ${extra} bytes runs past the end of the data section`, offset)
      }
      this.skipLeft = extra
    }
  }

  /** Start collecting a record cut by the chunk end; first its 8-byte header. */
  private beginStitch(chunk: Uint8Array, p: number, n: number): void {
    if (n >= HEADER_SIZE) {
      const size = this.checkSize(chunk[p + 6]! | (chunk[p + 7]! << 8))
      this.stitch = new Uint8Array(size)
      this.stitch.set(chunk.subarray(p, p + n))
    } else {
      this.stitch = undefined
      this.header.set(chunk.subarray(p, p + n))
    }
    this.stitchLen = n
  }

  private continueStitch(chunk: Uint8Array, p: number): number {
    if (!this.stitch) {
      const n = Math.min(HEADER_SIZE - this.stitchLen, chunk.length - p)
      this.header.set(chunk.subarray(p, p + n), this.stitchLen)
      this.stitchLen += n
      if (this.stitchLen < HEADER_SIZE) return p + n
      const size = this.checkSize(this.headerView.getUint16(6, true))
      this.stitch = new Uint8Array(size)
      this.stitch.set(this.header)
      p += n
    }
    const rec = this.stitch
    const n = Math.min(rec.length - this.stitchLen, chunk.length - p)
    rec.set(chunk.subarray(p, p + n), this.stitchLen)
    this.stitchLen += n
    if (this.stitchLen === rec.length) {
      this.stitch = undefined
      this.stitchLen = 0
      this.emit(new DataView(rec.buffer), rec, 0, rec.length)
    }
    return p + n
  }
}
