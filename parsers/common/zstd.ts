/**
 * zstd decoding for every reader: libzstd through zstd-napi (an optional dependency, a native
 * addon built at install) when it loads, else fzstd (pure JavaScript).
 *
 * The difference matters for `perf record -z` files, whose COMPRESSED records continue one zstd
 * stream for the whole file. A 7.6 MB recording of the bench's V8 workload holds 260 MB of it:
 * libzstd decoded that in 115–122 ms, fzstd in 1,650–1,800 ms, half of that run's 4.7 s.
 * fzstd stays for machines where the addon could not be built (no compiler and no prebuilt
 * binary). PERF_ORC_ZSTD=js forces it, so that tests run both; `zstdBackend()` says which is used.
 */
import { createRequire } from 'node:module'
import { Decompress, decompress as fzstdDecompress } from 'fzstd'

/** One zstd stream, fed in pieces; decoded bytes go to the callback as they come out. */
export interface ZstdStream {
  push(data: Uint8Array): void
}

export type ZstdBackend = 'libzstd' | 'fzstd'

/** The part of zstd-napi's binding used here: ZSTD_decompressStream on a ZSTD_DCtx. */
interface ZstdBinding {
  DCtx: new () => { decompressStream(dst: Uint8Array, src: Uint8Array): [number, number, number] }
}

let binding: ZstdBinding | null | undefined

/** The native binding, loaded on first use (a profile without compressed data never loads it). */
function nativeBinding(): ZstdBinding | null {
  if (binding === undefined) {
    try {
      binding = createRequire(import.meta.url)('zstd-napi/binding') as ZstdBinding
    } catch {
      binding = null
    }
  }
  return binding
}

export function zstdBackend(): ZstdBackend {
  return chosenNative() !== null ? 'libzstd' : 'fzstd'
}

/** The binding, unless it did not load or PERF_ORC_ZSTD=js asks for fzstd. */
function chosenNative(): ZstdBinding | null {
  return process.env.PERF_ORC_ZSTD === 'js' ? null : nativeBinding()
}

/** A stream decoder delivering each piece of output to `onChunk`; the pieces are never reused. */
export function zstdStream(onChunk: (chunk: Uint8Array) => void): ZstdStream {
  const native = chosenNative()
  if (native) return new NativeStream(native, onChunk)
  const d = new Decompress((chunk) => onChunk(chunk))
  return { push: (data) => d.push(data) }
}

/** A whole zstd input (one or more frames), decoded; input that ends inside a frame throws. */
export function zstdDecompress(data: Uint8Array): Uint8Array {
  const native = chosenNative()
  if (!native) return fzstdDecompress(data)
  const parts: Uint8Array[] = []
  const s = new NativeStream(native, (c) => parts.push(c))
  s.push(data)
  if (s.midFrame) throw new Error('zstd data ends inside a frame')
  return Buffer.concat(parts)
}

/** Output slabs: big enough for many blocks, never written twice (consumers keep views). */
const SLAB = 1 << 20
/** ZSTD_DStreamOutSize() (one block, 128 KiB), plus room: below this a new slab is started. */
const MIN_FREE = 132 << 10

class NativeStream implements ZstdStream {
  private readonly dctx: InstanceType<ZstdBinding['DCtx']>
  private slab = Buffer.allocUnsafeSlow(SLAB)
  private used = 0
  /**
   * The last call ended inside a frame (ZSTD_decompressStream returned a non-zero hint). perf's
   * stream is one frame never closed, so only a whole input (zstdDecompress) can check this.
   */
  midFrame = false

  constructor(
    native: ZstdBinding,
    private readonly onChunk: (chunk: Uint8Array) => void,
  ) {
    this.dctx = new native.DCtx()
  }

  push(data: Uint8Array): void {
    let src = data
    for (;;) {
      if (SLAB - this.used < MIN_FREE) {
        this.slab = Buffer.allocUnsafeSlow(SLAB)
        this.used = 0
      }
      const room = SLAB - this.used
      const [hint, produced, consumed] = this.dctx.decompressStream(this.slab.subarray(this.used), src)
      // A call with nothing left to read or write says what the next frame needs (hint 9): no news.
      if (consumed > 0 || produced > 0) this.midFrame = hint !== 0
      src = src.subarray(consumed)
      if (produced > 0) {
        const chunk = this.slab.subarray(this.used, this.used + produced)
        this.used += produced
        this.onChunk(chunk)
      }
      // Done when the input is used up and the output did not fill the room given (libzstd then
      // holds nothing back); a call that neither read nor wrote would loop forever.
      if ((src.length === 0 && produced < room) || (produced === 0 && consumed === 0)) return
    }
  }
}
