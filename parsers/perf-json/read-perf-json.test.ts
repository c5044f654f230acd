import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'
import { PerfOrcError } from '../common/errors.js'
import { PerfJsonError } from './errors.js'
import { readPerfJson, readPerfJsonHeader } from './read-perf-json.js'
import type { PerfJsonSample } from './types.js'

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '../../fixtures')
/** Committed output of `perf data convert --to-json` for recordings/fp.data (record.sh writes it). */
const FP_JSON = join(FIXTURES, 'json/fp.json')
const manifest = JSON.parse(readFileSync(join(FIXTURES, 'manifest.json'), 'utf8')) as {
  recordings: { file: string; samples: number; pid: number }[]
}
const fpEntry = manifest.recordings.find((e) => e.file === 'recordings/fp.data')!

const tmp = mkdtempSync(join(tmpdir(), 'perf-json-'))
afterAll(() => rmSync(tmp, { recursive: true, force: true }))

async function collect(path: string): Promise<{ samples: PerfJsonSample[]; error?: unknown }> {
  const samples: PerfJsonSample[] = []
  try {
    for await (const s of readPerfJson(path)) samples.push(s)
  } catch (error) {
    return { samples, error }
  }
  return { samples }
}


describe('readPerfJsonHeader', () => {
  it('reads version and headers of the committed fp.json', async () => {
    const h = await readPerfJsonHeader(FP_JSON)
    expect(h.version).toBe(1)
    expect(h.headers['perf-version']).toMatch(/^6\.1\./)
    expect(h.headers.arch).toBe('x86_64')
    expect(h.headers.cmdline).toContain('/tmp/orc-fixtures/bin/fpdemo')
  })

  it('rejects JSON that is not perf output', async () => {
    const p = join(tmp, 'other.json')
    writeFileSync(p, '{"samples": []}')
    await expect(readPerfJsonHeader(p)).rejects.toThrow(PerfJsonError)
    writeFileSync(p, '[1, 2]')
    await expect(readPerfJsonHeader(p)).rejects.toThrow(/top level/)
  })

  it('passes I/O errors through untouched', async () => {
    await expect(readPerfJsonHeader(join(tmp, 'missing.json'))).rejects.toMatchObject({ code: 'ENOENT' })
  })
})

describe('readPerfJson on the committed fp.json', () => {
  it('yields every sample of fp.data, leaf first, with absolute ips', async () => {
    const { samples, error } = await collect(FP_JSON)
    expect(error).toBeUndefined()
    expect(samples.length).toBe(fpEntry.samples)
    const first = samples[0]!
    expect(first.pid).toBe(fpEntry.pid)
    expect(first.comm).toBe('fpdemo')
    expect(first.time).toBeGreaterThan(0)
    expect(first.callchain.length).toBeGreaterThan(0)
    for (const s of samples) for (const f of s.callchain) expect(Number.isSafeInteger(f.ip)).toBe(true)
    // Somewhere a frame-pointer chain reaches from our code down to start_thread.
    const deep = samples.find((s) => s.callchain.some((f) => f.symbol === 'start_thread'))
    expect(deep?.callchain.map((f) => f.symbol)).toContain('worker')
    // Times are non-decreasing (perf sorts samples before converting).
    for (let i = 1; i < samples.length; i++) expect(samples[i]!.time).toBeGreaterThanOrEqual(samples[i - 1]!.time)
  })

  it('keeps kernel addresses as negative Addr', async () => {
    const { samples } = await collect(FP_JSON)
    const k = samples.flatMap((s) => s.callchain).filter((f) => f.dso === '[kernel.kallsyms]')
    for (const f of k) expect(f.ip).toBeLessThan(0)
  })

  it('stops reading when the consumer breaks early', async () => {
    let n = 0
    for await (const _ of readPerfJson(FP_JSON)) if (++n === 3) break
    expect(n).toBe(3)
  })
})

describe('readPerfJson on damaged input', () => {
  const text = readFileSync(FP_JSON, 'utf8')

  it('a file cut short yields the complete samples before the cut, then throws PerfJsonError', async () => {
    const cut = Math.floor(text.length * 0.6)
    const p = join(tmp, 'cut.json')
    writeFileSync(p, text.slice(0, cut))
    const full = (await collect(FP_JSON)).samples
    const { samples, error } = await collect(p)
    // Every sample object that closed before the cut, and nothing else.
    const prefix = text.slice(0, cut)
    const closed = prefix.split('\n\t\t}').length - 1
    expect(samples.length).toBe(closed)
    expect(samples).toEqual(full.slice(0, closed))
    expect(error).toBeInstanceOf(PerfJsonError)
    expect(error).toBeInstanceOf(PerfOrcError)
    const e = error as PerfJsonError
    expect(e.offset).toBe(cut)
    expect(e.message).toMatch(/invalid JSON: .* after \d+ complete samples at line \d+ column \d+ \(offset 0x[0-9a-f]+\)/)
  })

  it('cut anywhere (also past the first 64 KiB block): exactly the closed samples, then PerfJsonError', async () => {
    const full = (await collect(FP_JSON)).samples
    const p = join(tmp, 'cuts.json')
    for (let i = 1; i <= 24; i++) {
      const cut = Math.floor((text.length * i) / 25) + (i % 7)
      writeFileSync(p, text.slice(0, cut))
      const { samples, error } = await collect(p)
      const closed = text.slice(0, cut).split('\n\t\t}').length - 1
      expect(samples.length, `cut at ${cut}`).toBe(closed)
      expect(samples).toEqual(full.slice(0, closed))
      expect(error, `cut at ${cut}`).toBeInstanceOf(PerfJsonError)
    }
  })

  it('a corrupted byte mid-file is located by line and column', async () => {
    const at = text.indexOf('"callchain"', Math.floor(text.length / 2))
    const p = join(tmp, 'flipped.json')
    writeFileSync(p, text.slice(0, at) + '#' + text.slice(at + 1))
    const { samples, error } = await collect(p)
    // The fault sits in the first 64 KiB read block: the parser drops that whole block, so these
    // samples come from the second pass over the bytes before the fault.
    expect(samples.length).toBe(text.slice(0, at).split('\n\t\t}').length - 1)
    expect(samples.length).toBeGreaterThan(0)
    expect(error).toBeInstanceOf(PerfJsonError)
    const e = error as PerfJsonError
    expect(e.offset).toBe(at)
    expect(e.line).toBe(text.slice(0, at).split('\n').length)
  })

  it('a well-formed sample of the wrong shape names its index', async () => {
    const p = join(tmp, 'shape.json')
    writeFileSync(
      p,
      JSON.stringify({
        'linux-perf-json-version': 1,
        headers: {},
        samples: [
          { timestamp: 1, pid: 2, tid: 3, comm: 'a', callchain: [{ ip: '0xffffffff81000000' }] },
          { timestamp: 1, pid: 'x', tid: 3, comm: 'a', callchain: [] },
        ],
      }),
    )
    const { samples, error } = await collect(p)
    expect(samples).toEqual([{ time: 1, pid: 2, tid: 3, comm: 'a', callchain: [{ ip: -0x7f000000 }] }])
    expect(error).toMatchObject({ sampleIndex: 1 })
    expect((error as Error).message).toMatch(/"pid" is not an integer in sample 1$/)
  })
})

/** perf script's callchain lines: "\t<dso-relative ip> <sym>+0x<off> (<dso path>)". */
function perfScriptChains(dataFile: string): { tid: number; leafIp: bigint; frames: { rel: bigint; sym: string; dso: string }[] }[] {
  const leaf = execFileSync('perf', ['script', '-i', dataFile, '-G', '-F', 'tid,ip'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
    .trim()
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
  const chains = execFileSync('perf', ['script', '-i', dataFile, '-F', 'tid,ip,sym,dso', '--no-inline'], {
    encoding: 'utf8',
    maxBuffer: 1 << 28,
    stdio: ['ignore', 'pipe', 'ignore'],
  })
    .split('\n\n')
    .filter((b) => b.trim())
  return chains.map((block, i) => {
    const [, ...lines] = block.replace(/^\n+/, '').split('\n')
    return {
      tid: Number(leaf[i]![0]),
      leafIp: BigInt('0x' + leaf[i]![1]),
      frames: lines.map((l) => {
        const m = /^\s*([0-9a-f]+) (.*?) \((.*)\)$/.exec(l)!
        return { rel: BigInt('0x' + m[1]), sym: m[2]!, dso: m[3]! }
      }),
    }
  })
}

describe('readPerfJson against perf itself', () => {
  it('a fresh conversion of fp.data matches perf script sample for sample', async () => {
    const data = join(FIXTURES, 'recordings/fp.data')
    const out = join(tmp, 'fp-live.json')
    execFileSync('perf', ['data', 'convert', '--to-json', out, '--force', '-i', data], { stdio: 'ignore' })
    const { samples, error } = await collect(out)
    expect(error).toBeUndefined()
    const script = perfScriptChains(data)
    expect(samples.length).toBe(script.length)
    // perf script prints dso-relative callchain addresses; each (dso) must then map with one
    // constant bias onto the absolute ips of the JSON.
    const bias = new Map<string, bigint>()
    samples.forEach((s, i) => {
      const ref = script[i]!
      expect(s.tid).toBe(ref.tid)
      expect(BigInt.asUintN(64, BigInt(s.callchain[0]!.ip))).toBe(ref.leafIp)
      expect(s.callchain.length).toBe(ref.frames.length)
      s.callchain.forEach((f, j) => {
        const r = ref.frames[j]!
        if (f.symbol !== undefined) expect(r.sym).toBe(f.symbol)
        const b = BigInt.asUintN(64, BigInt(f.ip)) - r.rel
        const key = `${s.pid} ${r.dso}`
        if (!bias.has(key)) bias.set(key, b)
        expect(b, `${key} frame ${j} of sample ${i}`).toBe(bias.get(key))
      })
    })
  })

  it('the committed fp.json is what perf converts from the committed fp.data', async () => {
    const out = join(tmp, 'fp-again.json')
    execFileSync('perf', ['data', 'convert', '--to-json', out, '--force', '-i', join(FIXTURES, 'recordings/fp.data')], { stdio: 'ignore' })
    const a = (await collect(out)).samples.map((s) => [s.tid, s.time, s.callchain.map((f) => f.ip)])
    const b = (await collect(FP_JSON)).samples.map((s) => [s.tid, s.time, s.callchain.map((f) => f.ip)])
    expect(a).toEqual(b)
  })
})
