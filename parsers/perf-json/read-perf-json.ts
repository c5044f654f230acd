/**
 * Streaming reader for `perf data convert --to-json` output. The file is never held in memory:
 * tokens come from stream-json's parser, `pick` keeps the "samples" array and `streamArray`
 * assembles one sample object at a time, so memory stays at one sample plus one read block
 * (64 KiB) however long the recording was.
 *
 * stream-json's parser errors carry no position, so on a parse error the file is scanned once more
 * with its verifier (`verifyFile`), which reports line, column and byte offset.
 */
import { createReadStream } from 'node:fs'
import { PassThrough, type Duplex, type Readable } from 'node:stream'
import { parser } from 'stream-json/parser.js'
import { pick } from 'stream-json/filters/pick.js'
import { streamArray } from 'stream-json/streamers/stream-array.js'
import { verifyFile } from 'stream-json/file/verifier.js'
import Assembler from 'stream-json/assembler.js'
import { parseAddrHex, type Addr } from '../common/addr.js'
import { PerfJsonError } from './errors.js'
import type { PerfJsonFrame, PerfJsonHeader, PerfJsonHeaders, PerfJsonSample } from './types.js'

const READ_BLOCK_BYTES = 64 * 1024
const VERSION_KEY = 'linux-perf-json-version'
/** Only packed tokens (keyValue, stringValue, numberValue): halves the token count. */
const PARSER_OPTIONS = { streamValues: false } as const

type AssemblerToken = Parameters<Assembler['consume']>[0]

/**
 * Reads the version and "headers" object, which perf writes before "samples"; stops reading at the
 * "samples" key. Throws PerfJsonError if the file is not a perf JSON export, or if it is broken
 * before "samples" (a fault later in the file is readPerfJson's business).
 */
export async function readPerfJsonHeader(path: string): Promise<PerfJsonHeader> {
  const state: HeaderScan = { sawSamples: false }
  try {
    await scanHeader(path, state)
  } catch (err) {
    if (err instanceof PerfJsonError || isIoError(err)) throw err
    // The parser drops the block it fails in; retry on the bytes before the fault.
    const where = await locate(path)
    if (where === undefined || where.offset === 0) throw await toPerfJsonError(path, err)
    const retry: HeaderScan = { sawSamples: false }
    await scanHeader(path, retry, where.offset - 1).catch(() => undefined)
    if (!retry.sawSamples) throw await toPerfJsonError(path, err)
    Object.assign(state, retry)
  }
  if (state.version === undefined) throw new PerfJsonError(path, `no "${VERSION_KEY}" key before "samples": not perf JSON output`)
  return { version: state.version, headers: state.headers ?? {} }
}

interface HeaderScan {
  version?: number
  headers?: PerfJsonHeaders
  sawSamples: boolean
}

/** Token scan of the top-level object up to the "samples" key, filling `state` as it goes. */
async function scanHeader(path: string, state: HeaderScan, lastByte?: number): Promise<void> {
  const chain = drainingChain(createReadStream(path, { highWaterMark: READ_BLOCK_BYTES, end: lastByte }), [
    parser.asStream(PARSER_OPTIONS),
    new PassThrough({ objectMode: true }),
  ])
  let depth = 0
  let key: string | undefined
  let asm: Assembler | undefined
  try {
    for await (const tok of chain.out as AsyncIterable<AssemblerToken>) {
      if (asm) {
        asm.consume(tok)
        if (asm.done) {
          state.headers = asm.current as PerfJsonHeaders
          asm = undefined
        }
      }
      if (depth === 0 && tok.name !== 'startObject') {
        throw new PerfJsonError(path, 'expected a JSON object at the top level')
      } else if (tok.name === 'startObject' || tok.name === 'startArray') {
        if (depth === 1 && key === 'headers' && tok.name === 'startObject' && state.headers === undefined) {
          asm = new Assembler()
          asm.consume(tok)
        }
        depth++
      } else if (tok.name === 'endObject' || tok.name === 'endArray') {
        depth--
      } else if (depth === 1 && tok.name === 'keyValue') {
        key = tok.value as string
        if (key === 'samples') {
          state.sawSamples = true
          return
        }
      } else if (depth === 1 && key === VERSION_KEY && tok.name === 'numberValue') {
        state.version = Number(tok.value)
      }
    }
    chain.rethrow()
  } finally {
    chain.destroy()
  }
}

/**
 * Yields every sample in file order. On broken JSON (cut short, corrupted) it first yields every
 * sample that was complete before the fault, then throws PerfJsonError with the fault's position.
 * Breaking out of the loop early closes the file.
 */
export async function* readPerfJson(path: string): AsyncGenerator<PerfJsonSample> {
  await readPerfJsonHeader(path) // cheap (stops at "samples"); rejects non-perf JSON up front
  let index = 0
  let fault: unknown
  try {
    for await (const raw of rawSamples(path)) {
      yield toSample(path, raw, index)
      index++
    }
    return
  } catch (err) {
    if (err instanceof PerfJsonError || isIoError(err)) throw err
    fault = err
  }
  // stream-json's parser drops the tokens of the block in which it fails, so samples just before
  // the fault may be missing. Locate the fault, then re-read only the bytes before it.
  const where = await locate(path)
  if (where !== undefined && where.offset > 0) {
    let k = 0
    try {
      for await (const raw of rawSamples(path, where.offset - 1)) {
        if (k++ < index) continue
        yield toSample(path, raw, index)
        index++
      }
    } catch (err) {
      if (err instanceof PerfJsonError || isIoError(err)) throw err
      // expected: the prefix ends mid-JSON
    }
  }
  const message = `invalid JSON: ${where?.message ?? errorMessage(fault)} after ${index} complete samples`
  throw new PerfJsonError(path, message, where?.offset, where?.line, where?.column)
}

/** Raw sample objects of the "samples" array, reading bytes [0, lastByte]. */
async function* rawSamples(path: string, lastByte?: number): AsyncGenerator<unknown> {
  const chain = drainingChain(createReadStream(path, { highWaterMark: READ_BLOCK_BYTES, end: lastByte }), [
    parser.asStream(PARSER_OPTIONS),
    pick.asStream({ filter: 'samples' }),
    streamArray.asStream(),
  ])
  try {
    for await (const item of chain.out as AsyncIterable<{ key: number; value: unknown }>) yield item.value
    chain.rethrow()
  } finally {
    chain.destroy()
  }
}

/**
 * `source.pipe(stages[0]).pipe(stages[1])…`, except that a stage that fails records its error and
 * ends the next stage instead of tearing the chain down: everything already produced downstream
 * still comes out of `out`, and `rethrow()` raises the first error once `out` is drained.
 * (stream/promises `pipeline` destroys the last stage on error, dropping its buffered items.)
 */
function drainingChain(source: Readable, stages: Duplex[]): { out: Readable; rethrow(): void; destroy(): void } {
  let fault: { error: unknown } | undefined
  let prev: Readable = source
  for (const next of stages) {
    prev.on('error', (error: unknown) => {
      fault ??= { error }
      next.end()
    })
    prev = prev.pipe(next)
  }
  const out = prev
  out.on('error', (error: unknown) => {
    fault ??= { error }
  })
  return {
    out,
    rethrow() {
      if (fault) throw fault.error
    },
    destroy() {
      source.destroy()
      for (const s of stages) s.destroy()
    },
  }
}

interface JsonFault {
  message: string
  offset: number
  line: number
  column: number
}

/** Exact position of the first JSON syntax error, from stream-json's verifier; undefined if valid. */
async function locate(path: string): Promise<JsonFault | undefined> {
  try {
    await verifyFile(path, { readBlockSize: READ_BLOCK_BYTES })
  } catch (err) {
    const v = err as { message?: string; line?: number; pos?: number; offset?: number }
    if (typeof v.offset === 'number')
      return {
        message: (v.message ?? 'syntax error').replace(/^ERROR at \d+ \(\d+, \d+\): /, ''),
        offset: v.offset,
        line: v.line ?? 0,
        column: v.pos ?? 0,
      }
  }
  return undefined
}

/** Parse errors become PerfJsonError located by the verifier; I/O errors (ENOENT, …) pass through. */
async function toPerfJsonError(path: string, err: unknown): Promise<unknown> {
  if (err instanceof PerfJsonError || isIoError(err)) return err
  const where = await locate(path)
  return new PerfJsonError(path, `invalid JSON: ${where?.message ?? errorMessage(err)}`, where?.offset, where?.line, where?.column)
}

function isIoError(err: unknown): boolean {
  return err instanceof Error && typeof (err as { code?: unknown }).code === 'string'
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}

function toSample(path: string, raw: unknown, index: number): PerfJsonSample {
  const fail = (what: string): never => {
    throw new PerfJsonError(path, what, undefined, undefined, undefined, index)
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return fail('sample is not an object')
  const o = raw as Record<string, unknown>
  const sample: PerfJsonSample = {
    pid: int(o.pid) ?? fail('"pid" is not an integer'),
    tid: int(o.tid) ?? fail('"tid" is not an integer'),
    comm: typeof o.comm === 'string' ? o.comm : fail('"comm" is not a string'),
    time: int(o.timestamp) ?? fail('"timestamp" is not an integer'),
    callchain: [],
  }
  const chain = o.callchain ?? []
  if (!Array.isArray(chain)) return fail('"callchain" is not an array')
  for (const f of chain) sample.callchain.push(toFrame(f) ?? fail('callchain entry has no valid "ip"'))
  let extra: Record<string, unknown> | undefined
  for (const [k, v] of Object.entries(o)) {
    if (k === 'cpu') sample.cpu = int(v) ?? fail('"cpu" is not an integer')
    else if (k === 'period') sample.period = int(v) ?? fail('"period" is not an integer')
    else if (k === 'event') sample.event = typeof v === 'string' ? v : fail('"event" is not a string')
    else if (!KNOWN_SAMPLE_KEYS.has(k)) (extra ??= {})[k] = v
  }
  if (extra) sample.extra = extra
  return sample
}

const KNOWN_SAMPLE_KEYS = new Set(['pid', 'tid', 'comm', 'timestamp', 'callchain'])

function toFrame(raw: unknown): PerfJsonFrame | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined
  const o = raw as Record<string, unknown>
  const ip = addr(o.ip)
  if (ip === undefined) return undefined
  const frame: PerfJsonFrame = { ip }
  if (typeof o.symbol === 'string') frame.symbol = o.symbol
  if (typeof o.dso === 'string') frame.dso = o.dso
  return frame
}

/** perf writes "0x…" strings; accept numbers too. */
function addr(v: unknown): Addr | undefined {
  if (typeof v === 'number' && Number.isInteger(v)) return v
  if (typeof v !== 'string' || !/^(0x)?[0-9a-fA-F]{1,16}$/.test(v)) return undefined
  return parseAddrHex(v)
}

function int(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isInteger(v) ? v : undefined
}
