/**
 * Where the bytes come from: a file read through a descriptor at explicit positions, or a
 * readable stream (stdin, a pipe) read forward only. Both hand out fresh buffers that are
 * never reused, so record views into them stay valid while a consumer holds them.
 */
import { readSync } from 'node:fs'
import { open, type FileHandle } from 'node:fs/promises'

/**
 * 512 KiB: record views pin their chunk until the consumer drops them, and a chunk outlives its
 * records only until the next GC. With 4 MiB chunks a 450 MB dwarf recording peaked at ~285 MB RSS
 * (75-130 MB of ArrayBuffers, mostly dead chunks awaiting a major GC); with 512 KiB at ~185 MB (35-45
 * MB of ArrayBuffers: short-lived chunks die young), at the same speed (the read is not the cost).
 */
export const DEFAULT_CHUNK_SIZE = 512 << 10

export interface ByteSource {
  /** Total size when known (regular files), else undefined. */
  readonly size: number | undefined
  /** Offset of the next byte `next` returns. */
  readonly position: number
  /** Up to `max` bytes from the current position; empty at EOF. */
  next(max: number): Promise<Uint8Array>
  /** Drop `n` bytes; returns how many were really there. */
  skip(n: number): Promise<number>
  /** Move the position (files only; streams can only move forward, by skipping). */
  seek(offset: number): Promise<void>
  close(): Promise<void>
}

export class FileSource implements ByteSource {
  position = 0

  private constructor(
    private readonly fh: FileHandle,
    readonly size: number,
    readonly mtime: Date,
  ) {}

  static async open(path: string): Promise<FileSource> {
    const fh = await open(path, 'r')
    try {
      // bigint: Node rounds Stats.mtime to the nearest ms, so a file written at hh:mm:02.9996
      // would show :03 where perf prints st_mtime's whole seconds, :02 (a fresh-clone CI run).
      const st = await fh.stat({ bigint: true })
      return new FileSource(fh, Number(st.size), new Date(Number(st.mtimeNs / 1_000_000_000n) * 1000))
    } catch (e) {
      await fh.close()
      throw e
    }
  }

  async next(max: number): Promise<Uint8Array> {
    const n = Math.max(0, Math.min(max, this.size - this.position))
    if (n === 0) return new Uint8Array(0)
    const buf = Buffer.allocUnsafeSlow(n)
    // A synchronous read: nothing else runs on this thread meanwhile, and the libuv thread-pool
    // round trip of an async read left the main thread idle ~8% of a run on a cached file.
    const bytesRead = readSync(this.fh.fd, buf, 0, n, this.position)
    this.position += bytesRead
    return bytesRead === n ? buf : buf.subarray(0, bytesRead)
  }

  async skip(n: number): Promise<number> {
    const done = Math.max(0, Math.min(n, this.size - this.position))
    this.position += done
    return done
  }

  async seek(offset: number): Promise<void> {
    this.position = offset
  }

  async close(): Promise<void> {
    await this.fh.close()
  }
}

export class StreamSource implements ByteSource {
  readonly size = undefined
  position = 0
  private leftover: Uint8Array = new Uint8Array(0)
  private readonly it: AsyncIterator<unknown>
  private ended = false

  constructor(private readonly stream: NodeJS.ReadableStream) {
    this.it = (stream as AsyncIterable<unknown>)[Symbol.asyncIterator]()
  }

  private async fill(): Promise<boolean> {
    while (this.leftover.length === 0 && !this.ended) {
      const r = await this.it.next()
      if (r.done) this.ended = true
      else this.leftover = typeof r.value === 'string' ? Buffer.from(r.value, 'latin1') : (r.value as Uint8Array)
    }
    return this.leftover.length > 0
  }

  async next(max: number): Promise<Uint8Array> {
    if (!(await this.fill())) return new Uint8Array(0)
    const out = this.leftover.subarray(0, max)
    this.leftover = this.leftover.subarray(out.length)
    this.position += out.length
    return out
  }

  async skip(n: number): Promise<number> {
    let done = 0
    while (done < n && (await this.fill())) {
      const k = Math.min(n - done, this.leftover.length)
      this.leftover = this.leftover.subarray(k)
      done += k
    }
    this.position += done
    return done
  }

  async seek(offset: number): Promise<void> {
    if (offset < this.position) throw new RangeError('cannot seek backwards in a stream')
    await this.skip(offset - this.position)
  }

  async close(): Promise<void> {
    // Leave stdin alone; other streams are destroyed so their producers stop.
    if (this.stream !== process.stdin) (this.stream as NodeJS.ReadableStream & { destroy?: () => void }).destroy?.()
    if (this.it.return) await this.it.return().catch(() => undefined)
  }
}

/** Read exactly `n` bytes at the current position, or fewer at EOF (stitched across chunks). */
export async function readExact(src: ByteSource, n: number): Promise<Uint8Array> {
  const first = await src.next(n)
  if (first.length === n || first.length === 0) return first
  const out = new Uint8Array(n)
  out.set(first)
  let have = first.length
  while (have < n) {
    const more = await src.next(n - have)
    if (more.length === 0) return out.subarray(0, have)
    out.set(more, have)
    have += more.length
  }
  return out
}
