import { execFileSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { afterEach, describe, expect, it } from 'vitest'
import { zstdBackend, zstdDecompress, zstdStream } from './zstd.js'

/** Text-like bytes that compress ~10×, with incompressible runs in between. */
function sample(n: number): Buffer {
  const words = ['perf', 'orc', 'unwind', 'sample', 'frame', 'stack', '0x7f1234', '\n']
  const out = Buffer.alloc(n)
  let seed = 12345
  for (let i = 0; i < n; ) {
    seed = (seed * 1103515245 + 12345) >>> 0
    const chunk = seed % 97 === 0 ? randomBytes(200) : Buffer.from(words[seed % words.length]! + ' ')
    i += chunk.copy(out, i)
  }
  return out
}

/** The zstd CLI's encoding of `data` (level 1, like perf record -z), the oracle's. */
function cliCompress(data: Buffer, args: string[] = []): Buffer {
  return execFileSync('zstd', ['-1', '-c', '-q', ...args], { input: data, maxBuffer: 1 << 28 })
}

/** Feed `z` to a stream decoder in pieces of seeded random sizes; return the joined output. */
function streamed(z: Uint8Array): Buffer {
  const parts: Uint8Array[] = []
  const s = zstdStream((c) => parts.push(c))
  let seed = 7
  for (let at = 0; at < z.length; ) {
    seed = (seed * 1103515245 + 12345) >>> 0
    const n = 1 + (seed % 70_000)
    s.push(z.subarray(at, at + n))
    at += n
  }
  return Buffer.concat(parts)
}

const BACKENDS = ['libzstd', 'fzstd'] as const

afterEach(() => {
  delete process.env.PERF_ORC_ZSTD
})

function use(backend: (typeof BACKENDS)[number]): void {
  if (backend === 'fzstd') process.env.PERF_ORC_ZSTD = 'js'
  else delete process.env.PERF_ORC_ZSTD
  expect(zstdBackend()).toBe(backend)
}

describe('zstd', () => {
  it('uses libzstd here (the optional native addon was built) and fzstd when told to', () => {
    // If the addon failed to build, perf -z files still read (fzstd) but ~15× slower to decode.
    expect(zstdBackend()).toBe('libzstd')
    process.env.PERF_ORC_ZSTD = 'js'
    expect(zstdBackend()).toBe('fzstd')
  })

  for (const backend of BACKENDS) {
    it(`${backend}: a stream fed in random pieces decodes to the input, across frames and 8 MB of output`, () => {
      use(backend)
      const a = sample(5 << 20)
      const b = sample(3 << 20).reverse()
      // Two frames back to back, as concatenated zstd files are; the second without a content size.
      const z = Buffer.concat([cliCompress(a), cliCompress(b, ['--no-content-size'])])
      const out = streamed(z)
      expect(out.length).toBe(a.length + b.length)
      expect(out.equals(Buffer.concat([a, b]))).toBe(true)
      expect(Buffer.from(zstdDecompress(z)).equals(out)).toBe(true)
    })

    it(`${backend}: output pieces stay valid after later pushes (consumers keep views of them)`, () => {
      use(backend)
      const data = sample(3 << 20)
      const z = cliCompress(data)
      const kept: Uint8Array[] = []
      const s = zstdStream((c) => kept.push(c))
      for (let at = 0; at < z.length; at += 4096) s.push(z.subarray(at, at + 4096))
      expect(Buffer.concat(kept).equals(data)).toBe(true)
    })

    it(`${backend}: input that is not zstd, or ends inside a frame, throws when decoded whole`, () => {
      use(backend)
      expect(() => zstdDecompress(Buffer.from('not zstd at all'))).toThrow()
      const z = cliCompress(sample(1 << 20))
      expect(() => zstdDecompress(z.subarray(0, z.length - 100))).toThrow()
      expect(() => zstdDecompress(z.subarray(0, 1000))).toThrow()
      // fzstd's stream waits for more bytes before it looks at the magic; libzstd looks at once.
      if (backend === 'libzstd') expect(() => zstdStream(() => undefined).push(Buffer.from('not zstd at all'))).toThrow()
    })
  }

  it('libzstd: damaged frames throw (fzstd checks no content checksum and returns garbage)', () => {
    use('libzstd')
    const z = cliCompress(sample(1 << 20), ['--check'])
    const bad = Buffer.from(z)
    for (let i = 64; i < bad.length; i += 997) bad[i] = bad[i]! ^ 0xa5
    expect(() => streamed(bad)).toThrow()
  })
})
