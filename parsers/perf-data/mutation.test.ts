/**
 * Damaged recordings: ~60 mutants of a real dwarf recording. For each, openPerfData must either
 * throw PerfDataError naming an offset, or yield records and end; every sample that lies wholly
 * before the damage must come out unchanged; a damaged data section must set `error`. No other
 * exception type, no hang, bounded memory.
 */
import { writeFileSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { rmSync } from 'node:fs'
import { PerfDataError } from '../common/errors.js'
import { openPerfData } from './reader.js'
import type { SampleRecord } from './types.js'
import { makeTempDir, readAll, record } from './testing/recordings.js'

/** What must survive: everything but the event name (EVENT_DESC is lost when the file is cut). */
function key(s: SampleRecord): string {
  return `${s.pid}/${s.tid} ${s.time} ${s.ip} ${s.period} ${s.callchain?.length} ${s.stackUser?.length} ${s.regsUser?.values.join(',')}`
}

interface Mutant {
  name: string
  bytes: Uint8Array
  /** First damaged byte; samples ending before it must survive. */
  damageAt: number
  /** True when the damage is inside the data section, so the reader must report it. */
  dataDamaged: boolean
}

let dir: string
let orig: Uint8Array
let baseline: { offset: number; end: number; line: string }[]
let dataStart = 0
let dataEnd = 0
const mutants: Mutant[] = []

/** Deterministic pseudo-random numbers (xorshift32) so failures reproduce. */
function rng(seed: number): () => number {
  let x = seed
  return () => {
    x ^= x << 13; x ^= x >>> 17; x ^= x << 5
    return (x >>> 0) / 4294967296
  }
}

function copyWith(edit: (b: Uint8Array, v: DataView) => void): Uint8Array {
  const b = new Uint8Array(orig)
  edit(b, new DataView(b.buffer))
  return b
}

function buildMutants(recordOffsets: number[]): void {
  const rand = rng(12345)
  const n = orig.length
  // 1. Truncation at 22 points: inside the header, attrs, all over the data, in the features.
  const cuts = [0, 7, 15, 50, 103, dataStart - 5, dataStart, dataStart + 3]
  for (let i = 1; i <= 12; i++) cuts.push(dataStart + Math.floor(((dataEnd - dataStart) * i) / 13))
  cuts.push(dataEnd, n - 10)
  for (const c of cuts) mutants.push({ name: `truncate@${c}`, bytes: orig.subarray(0, c), damageAt: c, dataDamaged: c < dataEnd })
  // 2. Record sizes set to 0, 0xffff, an odd value, and types to garbage.
  const picks = [1, 3, Math.floor(recordOffsets.length / 2), recordOffsets.length - 2].map((i) => recordOffsets[i]!)
  for (const off of picks) {
    for (const [what, size] of [['0', 0], ['huge', 0xffff], ['odd', 13], ['4', 4]] as const) {
      mutants.push({ name: `size=${what}@${off}`, bytes: copyWith((_, v) => v.setUint16(off + 6, size, true)), damageAt: off, dataDamaged: true })
    }
    mutants.push({ name: `type=junk@${off}`, bytes: copyWith((_, v) => v.setUint32(off, 0x7777, true)), damageAt: off, dataDamaged: false })
  }
  // 3. Header and attr section fields made absurd.
  const absurd: [string, number, bigint][] = [
    ['attr_size=0', 16, 0n], ['attr_size=huge', 16, 1n << 40n], ['attrs.size=huge', 32, 1n << 50n],
    ['attrs.offset=past', 24, 1n << 33n], ['data.size=huge', 48, 1n << 45n], ['data.offset=0', 40, 0n],
    ['header size=7', 8, 7n],
  ]
  for (const [name, at, value] of absurd) {
    mutants.push({ name, bytes: copyWith((_, v) => v.setBigUint64(at, value, true)), damageAt: 0, dataDamaged: true })
  }
  const attrsOff = Number(new DataView(orig.buffer).getBigUint64(24, true))
  mutants.push({ name: 'attr.size=huge', bytes: copyWith((_, v) => v.setUint32(attrsOff + 4, 5000, true)), damageAt: 0, dataDamaged: true })
  mutants.push({ name: 'ids.size=absurd', bytes: copyWith((_, v) => v.setBigUint64(attrsOff + 128 + 8, 1n << 52n, true)), damageAt: 0, dataDamaged: true })
  mutants.push({ name: 'attr.sample_type=all', bytes: copyWith((_, v) => v.setUint32(attrsOff + 24, 0x1ffffff, true)), damageAt: 0, dataDamaged: true })
  // 4. Random byte flips: header, then data.
  for (let i = 0; i < 6; i++) {
    const at = Math.floor(rand() * 104)
    mutants.push({ name: `flip-header@${at}`, bytes: copyWith((b) => void (b[at] = b[at]! ^ 0xff)), damageAt: 0, dataDamaged: true })
  }
  for (let i = 0; i < 12; i++) {
    const at = dataStart + Math.floor(rand() * (dataEnd - dataStart))
    mutants.push({ name: `flip-data@${at}`, bytes: copyWith((b) => void (b[at] = b[at]! ^ (1 + Math.floor(rand() * 255)))), damageAt: at, dataDamaged: false })
  }
}

beforeAll(async () => {
  dir = makeTempDir()
  const path = record(dir, 'dwarf.data', ['-F', '999', '--call-graph', 'dwarf,4096'])
  orig = new Uint8Array(readFileSync(path))
  const base = await readAll(path)
  expect(base.reader.error).toBeUndefined()
  dataStart = base.reader.file.dataOffset
  dataEnd = dataStart + base.reader.file.dataSize
  const offsets = base.records.map((r) => r.offset).sort((a, b) => a - b)
  const endOf = (off: number): number => offsets.find((o) => o > off) ?? dataEnd
  baseline = base.samples.map((s) => ({ offset: s.offset, end: endOf(s.offset), line: key(s) }))
  buildMutants(offsets)
})

afterAll(() => rmSync(dir, { recursive: true, force: true }))

async function runMutant(m: Mutant): Promise<void> {
  const path = join(dir, 'mutant.data')
  writeFileSync(path, m.bytes)
  let reader
  try {
    reader = await openPerfData(path, { chunkSize: 64 << 10 })
  } catch (e) {
    expect(e, m.name).toBeInstanceOf(PerfDataError)
    expect((e as Error).message, m.name).toMatch(/offset 0x[0-9a-f]+/)
    return
  }
  const got = new Map<number, string>()
  for await (const r of reader.records()) {
    if (r.type === 9) got.set(r.offset, key(r as SampleRecord))
  }
  if (reader.error) expect(reader.error.message, m.name).toMatch(/offset 0x[0-9a-f]+/)
  if (m.dataDamaged && m.damageAt >= dataStart) expect(reader.error, m.name).toBeInstanceOf(PerfDataError)
  // Samples that end before the damage come out unchanged (a damaged header may shift
  // everything, so only data-section damage promises this).
  if (m.damageAt >= dataStart) {
    for (const s of baseline) if (s.end <= m.damageAt) expect(got.get(s.offset), `${m.name} sample@${s.offset}`).toBe(s.line)
  }
}

describe('damaged recordings', () => {
  it('has about 60 mutants', () => {
    expect(mutants.length).toBeGreaterThanOrEqual(55)
  })

  it('every mutant ends with our error or a clean end, keeping samples before the damage', async () => {
    const rssStart = process.memoryUsage().rss
    for (const m of mutants) {
      let timer: NodeJS.Timeout | undefined
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${m.name}: timed out`)), 10_000)
      })
      try {
        await Promise.race([runMutant(m), timeout])
      } finally {
        clearTimeout(timer)
      }
      expect(process.memoryUsage().rss - rssStart, m.name).toBeLessThan(300 << 20)
    }
  })
})
