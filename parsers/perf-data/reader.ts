/**
 * openPerfData: the streaming perf.data reader. Reads a file (path) or a stream ('-' = stdin)
 * in chunks, never whole; detects file vs pipe layout from the header; yields records in perf's
 * time order (FINISHED_ROUND rounds). A fault in the middle of the data ends the iteration after
 * every record before it and sets `error`; faults before the first record throw PerfDataError.
 */
import { PerfDataError } from '../common/errors.js'
import { RecordDispatcher, type PerfDataStats } from './dispatch.js'
import {
  MAX_SECTION_BYTES, parseFileHeader, parsePrefix, readAttrs, readFeatures, type FileHeader, type ReadAt,
} from './file-header.js'
import { RecordFramer } from './framer.js'
import { PerfFile } from './perf-file.js'
import { DEFAULT_CHUNK_SIZE, FileSource, readExact, StreamSource, type ByteSource } from './source.js'
import type { PerfRecord } from './types.js'

/** Compressed data is read in chunks of chunkSize >> this (512 KiB → 32 KiB, ~1 MB of records). */
const COMPRESSED_READ_SHIFT = 4

export type { PerfDataStats } from './dispatch.js'
export { PerfFile } from './perf-file.js'

export interface OpenOptions {
  /** Bytes per read; default 512 KiB (see DEFAULT_CHUNK_SIZE). Small values exist for testing chunk boundaries. */
  chunkSize?: number
}

/** Turn anything thrown while parsing into our error type, so callers see one class. */
function asPerfDataError(e: unknown, offset: number): PerfDataError {
  if (e instanceof PerfDataError) return e
  return new PerfDataError(`unexpected ${(e as Error)?.name ?? 'error'}: ${(e as Error)?.message ?? String(e)}`, offset)
}

/** ReadAt over a regular file: bounds-checked against its size. */
function fileReadAt(src: ByteSource): ReadAt {
  return async (offset, length, what) => {
    const size = src.size ?? 0
    if (!(offset >= 0 && length >= 0 && offset <= size && length <= size - offset)) {
      throw new PerfDataError(`${what} (${length} bytes) runs past the end of the ${size}-byte file`, offset)
    }
    await src.seek(offset)
    const bytes = await readExact(src, length)
    if (bytes.length < length) throw new PerfDataError(`${what} is cut short`, offset)
    return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  }
}

/** ReadAt over bytes already buffered from a stream, which start at stream offset `base`. */
function bufferReadAt(buf: Uint8Array, base: number): ReadAt {
  return async (offset, length, what) => {
    const rel = offset - base
    if (!(rel >= 0 && length >= 0 && rel <= buf.length && length <= buf.length - rel)) {
      throw new PerfDataError(`${what} (${length} bytes) is outside what the stream provided here`, offset)
    }
    return new DataView(buf.buffer, buf.byteOffset + rel, length)
  }
}

export class PerfDataReader {
  readonly file = new PerfFile()
  readonly stats: PerfDataStats = {
    recordsByType: new Map(), skippedUnknown: 0, bytesRead: 0, compressedRecords: 0, unknownId: 0,
  }
  /** The fault that ended the records early, if any. */
  error: PerfDataError | undefined
  /** Non-fatal problems (damaged feature sections, ...). */
  readonly warnings: string[] = []

  private framer!: RecordFramer
  private readonly dispatcher = new RecordDispatcher(this.file, this.stats, this.warnings)
  private done = false
  private iterating = false
  private header: FileHeader | undefined

  private constructor(
    private readonly src: ByteSource,
    private readonly chunkSize: number,
  ) {}

  static async create(src: ByteSource, chunkSize: number): Promise<PerfDataReader> {
    const r = new PerfDataReader(src, chunkSize)
    const prefix = await readExact(src, 16)
    r.stats.bytesRead = prefix.length
    const { pipe, headerSize } = parsePrefix(new DataView(prefix.buffer, prefix.byteOffset, prefix.length))
    if (pipe) await r.startPipe()
    else await r.startFile(prefix, headerSize)
    return r
  }

  /** Pipe: records start at 16; read on until the first record that is not an attr/feature. */
  private async startPipe(): Promise<void> {
    const f = this.file
    f.pipe = true
    f.headerSize = f.dataOffset = 16
    this.framer = new RecordFramer(this.dispatcher.sink, 16)
    while (!this.done && !this.dispatcher.sawPayloadRecord) await this.pump()
    if (f.attrs.length === 0) throw this.error ?? new PerfDataError('pipe stream has no HEADER_ATTR record', 16)
    if (this.error && !this.dispatcher.sawPayloadRecord) throw this.error
  }

  private async startFile(prefix: Uint8Array, headerSize: number): Promise<void> {
    const src = this.src
    const rest = await readExact(src, headerSize - 16)
    if (rest.length < headerSize - 16) throw new PerfDataError(`file header cut short (${16 + rest.length} of ${headerSize} bytes)`, 16 + rest.length)
    const whole = new Uint8Array(headerSize)
    whole.set(prefix)
    whole.set(rest, 16)
    const h = parseFileHeader(new DataView(whole.buffer), headerSize, src.size)
    this.header = h
    const f = this.file
    Object.assign(f, { headerSize, dataOffset: h.data.offset, dataSize: h.data.size, featOffset: h.data.offset + h.data.size })
    if (src instanceof FileSource) f.mtime = src.mtime
    const readAt = src.size !== undefined ? fileReadAt(src) : await this.streamPrefix(whole, h)
    await readAttrs(h, readAt, f)
    if (src.size !== undefined) await readFeatures(h, readAt, f, this.warnings)
    if (src.position !== h.data.offset) await src.seek(h.data.offset)
    this.stats.bytesRead = h.data.offset
    // data.size 0 means perf was killed before rewriting the header: read to EOF like perf.
    const limit = h.data.size > 0 ? h.data.offset + h.data.size : Number.POSITIVE_INFINITY
    this.framer = new RecordFramer(this.dispatcher.sink, h.data.offset, limit)
  }

  /** A file-layout recording arriving on a stream: buffer everything before the data. */
  private async streamPrefix(header: Uint8Array, h: FileHeader): Promise<ReadAt> {
    if (h.data.offset > MAX_SECTION_BYTES) throw new PerfDataError('data section starts too far in for a stream', 40)
    const more = await readExact(this.src, h.data.offset - header.length)
    const buf = new Uint8Array(header.length + more.length)
    buf.set(header)
    buf.set(more, header.length)
    return bufferReadAt(buf, 0)
  }

  /** Release the input when records() is not iterated to its end (header-only use). */
  async close(): Promise<void> {
    await this.src.close().catch(() => undefined)
  }

  records(): AsyncIterableIterator<PerfRecord> {
    if (this.iterating) throw new Error('records() can only be iterated once')
    this.iterating = true
    return this.iterate()
  }

  private async *iterate(): AsyncIterableIterator<PerfRecord> {
    try {
      for (;;) {
        const out = this.dispatcher.out
        this.dispatcher.out = []
        for (const r of out) yield r
        if (this.done) {
          if (this.dispatcher.out.length === 0) return
          continue
        }
        await this.pump()
      }
    } finally {
      await this.src.close().catch(() => undefined)
    }
  }

  /** Read one chunk and frame it; on EOF or fault, release what is queued and stop. */
  private async pump(): Promise<void> {
    const framer = this.framer
    try {
      const left = framer.limit - framer.fedTo
      if (framer.pendingSkip > this.chunkSize) {
        // AUXTRACE payloads can be huge and are not ours to parse: skip without reading.
        const n = await this.src.skip(Math.min(framer.pendingSkip, left))
        framer.skipped(n)
        this.stats.bytesRead += n
        if (n > 0) return
      }
      const chunk = left > 0 ? await this.src.next(Math.min(this.readSize(), left)) : new Uint8Array(0)
      this.stats.bytesRead += chunk.length
      if (chunk.length > 0) return framer.push(chunk)
      await this.endOfData()
    } catch (e) {
      this.error = asPerfDataError(e, framer.offset)
      this.dispatcher.flushAfterFault()
      this.done = true
    }
  }

  /**
   * Bytes to read next. A chunk is framed whole before its records are handed on, and zstd
   * records expand ~30× (perf -z of the V8 bench workload: 7.6 MB held 260 MB), so once the data
   * turns out compressed, chunks shrink to keep that burst near an uncompressed chunk's size.
   */
  private readSize(): number {
    return this.stats.compressedRecords > 0 ? Math.max(1, this.chunkSize >> COMPRESSED_READ_SHIFT) : this.chunkSize
  }

  private async endOfData(): Promise<void> {
    const framer = this.framer
    this.done = true
    framer.finish()
    if (Number.isFinite(framer.limit) && framer.offset < framer.limit) {
      this.dispatcher.flushAfterFault()
      throw new PerfDataError(`file ends inside the data section (expected data up to 0x${framer.limit.toString(16)})`, framer.offset)
    }
    this.dispatcher.finish()
    if (this.header && this.src.size === undefined) await this.streamFeatures(this.header)
  }

  /** File layout on a stream: the feature sections follow the data; parse them now. */
  private async streamFeatures(h: FileHeader): Promise<void> {
    const tail = await readExact(this.src, MAX_SECTION_BYTES)
    this.stats.bytesRead += tail.length
    await readFeatures(h, bufferReadAt(tail, this.file.featOffset), this.file, this.warnings)
  }
}

/**
 * Open a recording. `source` is a path, '-' for stdin, or a readable stream. Throws PerfDataError
 * when the header or attrs are unusable (and lets fs errors like ENOENT through).
 */
export async function openPerfData(
  source: string | NodeJS.ReadableStream,
  opts: OpenOptions = {},
): Promise<PerfDataReader> {
  const chunkSize = Math.max(1, Math.floor(opts.chunkSize ?? DEFAULT_CHUNK_SIZE))
  let src: ByteSource
  if (typeof source === 'string') src = source === '-' ? new StreamSource(process.stdin) : await FileSource.open(source)
  else src = new StreamSource(source)
  try {
    return await PerfDataReader.create(src, chunkSize)
  } catch (e) {
    await src.close().catch(() => undefined)
    throw asPerfDataError(e, src.position)
  }
}
