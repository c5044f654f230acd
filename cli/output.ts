/**
 * Buffered text output with backpressure: perf script output for a large recording is hundreds of
 * MB, so it must stream, and `perf-orc script | head` must end quietly (EPIPE is not an error).
 */
import { createWriteStream, type WriteStream } from 'node:fs'
import type { Writable } from 'node:stream'
import { writeFile } from 'node:fs/promises'
import { UsageError } from '../parsers/common/errors.js'

const FLUSH_BYTES = 1 << 16
/** Room reserved per UTF-16 unit of a string appended: UTF-8 needs at most 3 bytes for one. */
const UTF8_MAX = 3

/**
 * Output is gathered as UTF-8 bytes in one buffer (strings are encoded straight into it, cached
 * byte lines are copied), so there is no string concatenation, join or re-encoding per write.
 * The buffer is reused after a write only when the stream kept nothing of it (files and, on
 * Linux, pipes are written synchronously); otherwise the stream owns it and a new one is made.
 */
export class TextSink {
  private buf = Buffer.allocUnsafe(FLUSH_BYTES * 4)
  private len = 0
  private closed = false

  constructor(private readonly stream: NodeJS.WritableStream) {
    stream.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EPIPE') this.closed = true
    })
  }

  /** Stdout, or a file opened for writing (an unwritable path is a UsageError). */
  static async open(path: string | undefined): Promise<TextSink> {
    if (!path || path === '-') return new TextSink(process.stdout)
    const ws = createWriteStream(path)
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve())
      ws.once('error', (e) => reject(new UsageError(`cannot write ${path}: ${e.message}`)))
    })
    return new TextSink(ws)
  }

  get isClosed(): boolean {
    return this.closed
  }

  /** Append text without flushing (callers flush with flushIfFull at a record boundary). */
  text(s: string): void {
    this.reserve(s.length * UTF8_MAX)
    this.len += this.buf.write(s, this.len, 'utf8')
  }

  /** Append bytes that are already UTF-8. */
  bytes(b: Uint8Array): void {
    this.reserve(b.length)
    this.buf.set(b, this.len)
    this.len += b.length
  }

  async write(s: string): Promise<void> {
    if (this.closed) return
    if (s.length < FLUSH_BYTES) {
      this.text(s)
      return this.flushIfFull()
    }
    // A whole rendered file (an ORC dump is tens of MB): straight to the stream, so the buffer
    // does not grow to three times its size and stay that big.
    await this.flush()
    if (!this.closed && !this.stream.write(s)) await this.drain()
  }

  async flushIfFull(): Promise<void> {
    if (this.len >= FLUSH_BYTES) await this.flush()
  }

  async flush(): Promise<void> {
    if (this.len === 0 || this.closed) return
    const chunk = this.buf.subarray(0, this.len)
    this.len = 0
    const drained = this.stream.write(chunk)
    if ((this.stream as Partial<Writable>).writableLength !== 0) this.buf = Buffer.allocUnsafe(FLUSH_BYTES * 4)
    if (!drained) await this.drain()
  }

  private drain(): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = (): void => {
        this.stream.off('drain', done)
        this.stream.off('error', done)
        resolve()
      }
      this.stream.once('drain', done)
      this.stream.once('error', done)
    })
  }

  async close(): Promise<void> {
    await this.flush()
    if (this.stream !== process.stdout && !this.closed) {
      await new Promise<void>((resolve) => (this.stream as WriteStream).end(() => resolve()))
    }
  }

  /** Room for n more bytes (a sample with a very long head can pass FLUSH_BYTES * 4). */
  private reserve(n: number): void {
    if (this.len + n <= this.buf.length) return
    const bigger = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.len + n))
    bigger.set(this.buf.subarray(0, this.len))
    this.buf = bigger
  }
}

/** Write a whole output (a rendered file) to `path`, or to stdout for undefined / "-". */
export async function writeOutput(path: string | undefined, data: string | Uint8Array): Promise<void> {
  if (path === undefined || path === '-') {
    await new Promise<void>((resolve) => process.stdout.write(data, () => resolve()))
    return
  }
  try {
    await writeFile(path, data)
  } catch (e) {
    throw new UsageError(`cannot write ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`)
  }
}
