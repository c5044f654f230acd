import { execSync } from 'node:child_process'
import { createReadStream, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { rmSync } from 'node:fs'
import { PerfDataError } from '../common/errors.js'
import { openPerfData } from './reader.js'
import { digest, fixtureFiles, makeTempDir, perfScriptSamples, readAll, record } from './testing/recordings.js'

let dir: string
const rec: Record<string, string> = {}

beforeAll(() => {
  dir = makeTempDir()
  rec.fp = record(dir, 'fp.data', ['-F', '1999', '-g'])
  rec.dwarf = record(dir, 'dwarf.data', ['-F', '999', '--call-graph', 'dwarf'])
  rec.z = record(dir, 'z.data', ['-z', '-F', '1999', '-g'])
  rec.two = record(dir, 'two.data', ['-e', 'cpu-clock', '-e', 'task-clock', '-F', '1999', '-g'])
  rec.pipe = record(dir, 'pipe.data', ['-F', '1999', '-g'], true)
  rec.zpipe = record(dir, 'zpipe.data', ['-z', '-F', '1999', '--call-graph', 'dwarf'], true)
  rec.tp = record(dir, 'tp.data', ['-e', 'sched:sched_switch', '-a', '--intr-regs'])
})

afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('samples match perf script', () => {
  for (const name of ['fp', 'dwarf', 'z', 'two', 'pipe', 'zpipe', 'tp']) {
    it(name, async () => {
      const { lines, reader } = await readAll(rec[name]!)
      expect(reader.error).toBeUndefined()
      const want = perfScriptSamples(rec[name]!)
      expect(want.length).toBeGreaterThan(0)
      expect(lines).toEqual(want)
    })
  }
})

describe('fixtures', () => {
  for (const f of fixtureFiles()) {
    it(f, async () => {
      const { lines, reader } = await readAll(f)
      expect(reader.error).toBeUndefined()
      expect(lines).toEqual(perfScriptSamples(f))
    })
  }
})

describe('chunk boundaries', () => {
  const cases: [string, number[]][] = [['fp', [1, 7, 100, 4096]], ['z', [1, 7, 100, 4096]], ['dwarf', [7, 100, 4096]], ['pipe', [1, 7, 100]], ['zpipe', [7, 100, 4096]]]
  for (const [name, sizes] of cases) {
    it(`${name}: chunk sizes ${sizes.join(', ')} give the same records`, async () => {
      const whole = await readAll(rec[name]!)
      const want = digest(whole.records)
      for (const chunkSize of sizes) {
        const got = await readAll(rec[name]!, { chunkSize })
        expect(got.reader.error).toBeUndefined()
        expect(digest(got.records)).toEqual(want)
        expect(got.lines).toEqual(whole.lines)
      }
    })
  }

  it('reads file and pipe layouts from streams with small chunks', async () => {
    for (const name of ['fp', 'z', 'pipe', 'zpipe']) {
      const whole = await readAll(rec[name]!)
      const got = await readAll(createReadStream(rec[name]!, { highWaterMark: 333 }))
      expect(got.reader.error).toBeUndefined()
      expect(got.lines).toEqual(whole.lines)
      expect(got.reader.file.hostname).toBe(whole.reader.file.hostname)
      expect(got.reader.file.attrs.map((a) => a.name)).toEqual(whole.reader.file.attrs.map((a) => a.name))
    }
  })
})

describe('pipe and file layouts agree', () => {
  it('perf inject -o - of a file gives the same samples and metadata', async () => {
    for (const name of ['fp', 'dwarf', 'two']) {
      const piped = join(dir, `${name}.inject.pipe`)
      execSync(`perf inject -i ${rec[name]} -o - > ${piped}`, { stdio: ['ignore', 'ignore', 'ignore'] })
      const a = await readAll(rec[name]!)
      const b = await readAll(piped)
      expect(b.reader.file.pipe).toBe(true)
      expect(b.reader.error).toBeUndefined()
      expect(b.lines).toEqual(a.lines)
      const fa = a.reader.file, fb = b.reader.file
      // cmdline differs: perf inject synthesizes it from its own command line.
      expect([fb.hostname, fb.osRelease, fb.arch, fb.nrCpus]).toEqual([fa.hostname, fa.osRelease, fa.arch, fa.nrCpus])
      expect(fb.attrs.map((x) => [x.name, x.sampleType, x.ids])).toEqual(fa.attrs.map((x) => [x.name, x.sampleType, x.ids]))
    }
  })
})

/**
 * Rewrite a real file's attr section with attr.size = `size`: the new section is appended at the
 * end (as perf inject may place it), each entry being the original attr cut or zero-extended.
 */
function withAttrSize(orig: Uint8Array, size: number): Uint8Array {
  const v = new DataView(orig.buffer, orig.byteOffset, orig.byteLength)
  const attrSize = Number(v.getBigUint64(16, true))
  const attrsOff = Number(v.getBigUint64(24, true))
  const nr = Number(v.getBigUint64(32, true)) / attrSize
  const out = new Uint8Array(orig.length + nr * (size + 16))
  out.set(orig)
  const ov = new DataView(out.buffer)
  for (let i = 0; i < nr; i++) {
    const src = attrsOff + i * attrSize
    const origSize = v.getUint32(src + 4, true)
    const dst = orig.length + i * (size + 16)
    out.set(orig.subarray(src, src + Math.min(size, origSize)), dst)
    ov.setUint32(dst + 4, size, true)
    out.set(orig.subarray(src + origSize, src + origSize + 16), dst + size)
  }
  ov.setBigUint64(16, BigInt(size + 16), true)
  ov.setBigUint64(24, BigInt(orig.length), true)
  ov.setBigUint64(32, BigInt(nr * (size + 16)), true)
  return out
}

describe('attr sizes VER0..VER8 in a real file', () => {
  it('parses the same samples whatever attr.size the file uses', async () => {
    const orig = new Uint8Array(readFileSync(rec.two!))
    const base = await readAll(rec.two!)
    for (const size of [64, 72, 80, 96, 104, 112, 120, 128, 136, 200]) {
      const path = join(dir, `two.attr${size}.data`)
      writeFileSync(path, withAttrSize(orig, size))
      const got = await readAll(path)
      expect(got.reader.error).toBeUndefined()
      expect(got.reader.file.attrs.every((a) => a.size === size)).toBe(true)
      expect(got.lines).toEqual(base.lines)
      if (size === 128) expect(perfScriptSamples(path)).toEqual(base.lines)
    }
  })

  it('zeroes user regs in a dwarf recording cut to VER2 and still frames every record', async () => {
    const orig = new Uint8Array(readFileSync(rec.dwarf!))
    const path = join(dir, 'dwarf.attr80.data')
    writeFileSync(path, withAttrSize(orig, 80))
    const r = await openPerfData(path)
    expect(r.file.attrs[0]!.sampleRegsUser).toBe(0n)
    for await (const _ of r.records()) void _
    // With no regs mask the sample layout is wrong after REGS_USER: perf fails too. We must
    // stop with a PerfDataError, not crash.
    if (r.error) expect(r.error).toBeInstanceOf(PerfDataError)
  })
})

describe('metadata', () => {
  it('fills PerfFile from features', async () => {
    const { reader } = await readAll(rec.z!)
    const f = reader.file
    expect(f.pipe).toBe(false)
    expect(f.hostname).toBe(execSync('uname -n').toString().trim())
    expect(f.osRelease).toBe(execSync('uname -r').toString().trim())
    expect(f.arch).toBe('x86_64')
    expect(f.cmdline?.[0]).toMatch(/perf$/)
    expect(f.compressed?.type).toBe(1)
    expect(reader.stats.compressedRecords).toBeGreaterThan(0)
    expect(f.nrCpus!.online).toBeGreaterThan(0)
    expect(f.eventName(0)).toMatch(/cpu-clock/)
    expect(f.attrIndexForId(f.attrs[0]!.ids[0]!)).toBe(0)
  })

  it('decodes dwarf samples: regs, stack views, callchain', async () => {
    const { samples } = await readAll(rec.dwarf!)
    // A sample taken in user mode: there the user registers' IP is the sample's IP. (One taken in
    // the kernel carries the user registers of the syscall entry instead.)
    const s = samples.find((x) => x.regsUser && x.ip !== undefined && x.ip > 0)!
    expect(s.regsUser!.values.length).toBe(20)
    expect(s.regsUser!.index[8]).toBe(8) // IP
    expect(s.regsUser!.index[12]).toBe(-1) // DS not captured
    expect(s.regsUser!.values[8]).toBe(s.ip)
    for (const k of samples.filter((x) => x.regsUser && x.regsUser.abi !== 0 && x.ip !== undefined && x.ip < 0)) expect(k.regsUser!.values[8]).toBeGreaterThan(0)
    expect(s.stackUser!.buffer.byteLength).toBeGreaterThan(s.stackUser!.length) // a view, not a copy
    expect(s.stackUserDynSize).toBeLessThanOrEqual(s.stackUser!.length)
    // Samples of one attr share the register index.
    const other = samples.filter((x) => x.regsUser && x !== s)[0]
    if (other) expect(other.regsUser!.index).toBe(s.regsUser!.index)
  })

  it('throws PerfDataError for non-perf input and names the offset', async () => {
    const path = join(dir, 'garbage.data')
    writeFileSync(path, Buffer.from('hello world, this is not perf data at all'))
    await expect(openPerfData(path)).rejects.toThrow(/bad magic.*offset 0x0/)
    writeFileSync(path, Buffer.alloc(3))
    await expect(openPerfData(path)).rejects.toBeInstanceOf(PerfDataError)
  })
})
