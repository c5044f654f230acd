/**
 * Buffered text output with backpressure: perf script output for a large recording is hundreds of
 * MB, so it must stream, and `perf-orc script | head` must end quietly (EPIPE is not an error).
 */
import { createWriteStream, type WriteStream } from 'node:fs'
import { writeFile } from 'node:fs/promises'
import { UsageError } from '../parsers/common/errors.js'

const FLUSH_BYTES = 1 << 16

export class TextSink {
  private buf: string[] = []
  private size = 0
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

  async write(s: string): Promise<void> {
    if (this.closed) return
    this.buf.push(s)
    this.size += s.length
    if (this.size >= FLUSH_BYTES) await this.flush()
  }

  async flush(): Promise<void> {
    if (this.buf.length === 0 || this.closed) return
    const chunk = this.buf.join('')
    this.buf = []
    this.size = 0
    if (!this.stream.write(chunk)) {
      await new Promise<void>((resolve) => {
        const done = (): void => {
          this.stream.off('drain', done)
          this.stream.off('error', done)
          resolve()
        }
        this.stream.once('drain', done)
        this.stream.once('error', done)
      })
    }
  }

  async close(): Promise<void> {
    await this.flush()
    if (this.stream !== process.stdout && !this.closed) {
      await new Promise<void>((resolve) => (this.stream as WriteStream).end(() => resolve()))
    }
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
