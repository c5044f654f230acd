/**
 * `perf-orc report` on real recordings: the unwinding summary counts how damaged or short stacks
 * ended their walks, and the default input is ./perf.data.
 */
import { spawnSync } from 'node:child_process'
import { copyFileSync, cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ElfFile } from '../parsers/elf/elf-file.js'

const ROOT = join(import.meta.dirname, '..')
const CLI = join(ROOT, 'dist/perf-orc.mjs')
const SYMFS = join(ROOT, 'fixtures/symfs')
const DWARF = join(ROOT, 'fixtures/recordings/dwarf.data')

interface ReportJson {
  samples: number
  rootedSamples: number
  walkEnds?: Record<string, number>
  samplesWithUnreliableFrames: number
  unwindTables?: Record<string, number>
}

function report(args: string[], cwd = ROOT): { json: ReportJson; status: number | null; err: string } {
  const r = spawnSync('node', [CLI, 'report', '--format', 'json', ...args], { encoding: 'utf8', cwd })
  return { json: r.status === 0 ? (JSON.parse(r.stdout) as ReportJson) : ({} as ReportJson), status: r.status, err: r.stderr }
}

/**
 * Overwrite the middle of every sample's 8 KiB stack copy with a pattern: return addresses and
 * saved registers there become garbage, which the walks must survive and count.
 */
function damageStacks(bytes: Uint8Array): number {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const dataOff = Number(v.getBigUint64(40, true))
  const dataEnd = dataOff + Number(v.getBigUint64(48, true))
  let damaged = 0
  for (let p = dataOff; p + 8 <= dataEnd; ) {
    const type = v.getUint32(p, true)
    const size = v.getUint16(p + 6, true)
    if (size < 8) break
    if (type === 9 && size > 8192) {
      const stack = p + size - 8 - 8192 // STACK_USER bytes, then dyn_size
      for (let i = 1024; i < 1024 + 512; i++) bytes[stack + i] = (i * 37) & 0xff
      damaged++
    }
    p += size
  }
  return damaged
}

describe('perf-orc report', () => {
  it('counts how walks over damaged stack copies ended, and keeps every sample', () => {
    const clean = report([DWARF, '--symfs', SYMFS])
    expect(clean.status, clean.err).toBe(0)
    expect(clean.json.walkEnds).toEqual({ 'end-of-stack': clean.json.samples })

    const bytes = new Uint8Array(readFileSync(DWARF))
    expect(damageStacks(bytes)).toBe(clean.json.samples)
    const bad = join(mkdtempSync(join(tmpdir(), 'orc-report-')), 'damaged.data')
    writeFileSync(bad, bytes)
    const r = report([bad, '--symfs', SYMFS, '--no-cache'])
    expect(r.status, r.err).toBe(0)
    expect(r.json.samples).toBe(clean.json.samples)
    const ends = r.json.walkEnds ?? {}
    expect(Object.values(ends).reduce((a, b) => a + b, 0)).toBe(r.json.samples)
    // Stacks deeper than the damage can no longer all reach the root; each such walk is counted.
    expect(r.json.rootedSamples).toBeLessThan(clean.json.rootedSamples)
    expect(r.json.samples - (ends['end-of-stack'] ?? 0)).toBeGreaterThan(0)
  })

  it('counts corrupt CFI in the unwind-table summary and names walks that ended at a guess', () => {
    const clean = report([DWARF, '--symfs', SYMFS, '--no-cache'])
    expect(clean.status, clean.err).toBe(0)
    expect(clean.json.unwindTables?.binaries).toBe(3)
    expect(clean.json.unwindTables?.fdes).toBeGreaterThan(0)
    expect(clean.json.unwindTables?.fdesFailed).toBeUndefined()

    // Replace the call-frame instructions of every FDE of libnofpwork.so (where the samples'
    // leaf functions live) with an undefined opcode, 0x30.
    const symfs = join(mkdtempSync(join(tmpdir(), 'orc-report-')), 'symfs')
    cpSync(SYMFS, symfs, { recursive: true })
    const lib = join(symfs, 'tmp/orc-fixtures/lib/libnofpwork.so')
    const bytes = new Uint8Array(readFileSync(lib))
    const eh = ElfFile.parse(bytes, lib).section('.eh_frame')!
    const v = new DataView(bytes.buffer)
    let fdes = 0
    for (let p = eh.offset; p + 8 <= eh.offset + eh.size; ) {
      const len = v.getUint32(p, true)
      if (len === 0) break
      // FDE (CIE pointer != 0) of a "zR" CIE: pc_begin, pc_range, an empty augmentation, then instructions.
      if (v.getUint32(p + 4, true) !== 0) {
        bytes.fill(0x30, p + 17, p + 4 + len)
        fdes++
      }
      p += 4 + len
    }
    expect(fdes).toBeGreaterThan(2)
    writeFileSync(lib, bytes)

    const r = report([DWARF, '--symfs', symfs, '--no-cache'])
    expect(r.status, r.err).toBe(0)
    expect(r.json.samples).toBe(clean.json.samples)
    expect(r.json.unwindTables?.fdesFailed).toBeGreaterThan(0)
    expect(r.json.unwindTables?.unknownOpcode).toBeGreaterThan(0)
    // Those functions get frame-pointer guesses; built without frame pointers, rbp leads nowhere,
    // and the report says the walks ended at a guess rather than at a short copy.
    const ends = Object.entries(r.json.walkEnds ?? {})
    expect(ends.filter(([k]) => k.startsWith('fp-guess-')).reduce((a, [, n]) => a + n, 0)).toBeGreaterThan(r.json.samples / 2)
    expect(r.json.rootedSamples).toBeLessThan(clean.json.rootedSamples)
  })

  it('lists code without a symbol by address, row for row as perf report --no-children does', () => {
    // Debian's python3.11 and its _json module are stripped of their static functions: perf lists
    // each sampled address as "[.] 0x0000…"; a one-row [unknown] per binary would top the report instead.
    const dir = mkdtempSync(join(tmpdir(), 'orc-report-'))
    const data = join(dir, 'perf.data')
    const py = 'import json\nd = [{"a": i, "b": str(i) * 5, "c": [i, i + 1]} for i in range(100000)]\nfor _ in range(8): json.dumps(d)'
    const rec = spawnSync('perf', ['record', '-q', '--no-buildid-cache', '-F', '1999', '-o', data, '--', '/usr/bin/python3', '-c', py])
    expect(rec.status).toBe(0)
    const perf = spawnSync('perf', ['report', '-i', data, '--no-children', '--stdio', '-g', 'none'], { encoding: 'utf8' })
    const ours = spawnSync('node', [CLI, 'report', '-i', data], { encoding: 'utf8' })
    expect(ours.status).toBe(0)
    // "  12.34%  comm  dso  [.] symbol" of the self table, as a set: perf and we break ties differently.
    const rows = (text: string, limit: number): string[] =>
      [...text.matchAll(/^ +([\d.]+)% +(\S+) +(\S+) +\[[.k]\] (.+)$/gm)].filter((m) => Number(m[1]) >= limit).map((m) => `${m[1]} ${m[2]} ${m[3]} ${m[4]}`)
    // 0.8%: the unnamed addresses' shares move with the time page faults take (1.2-3.2% seen), and
    // the rows above it (~30) stay within the 50 a report table lists.
    const theirs = rows(perf.stdout, 0.8)
    expect(theirs.filter((r) => / 0x[0-9a-f]{16}$/.test(r)).length).toBeGreaterThan(0)
    const mine = rows(ours.stdout.split('# Children')[0]!, 0.8)
    expect({ onlyOurs: mine.filter((r) => !theirs.includes(r)), onlyPerf: theirs.filter((r) => !mine.includes(r)) }).toEqual({ onlyOurs: [], onlyPerf: [] })
  })

  it('reads ./perf.data when no file is named', () => {
    const dir = mkdtempSync(join(tmpdir(), 'orc-report-'))
    copyFileSync(DWARF, join(dir, 'perf.data'))
    const r = report(['--symfs', SYMFS], dir)
    expect(r.status, r.err).toBe(0)
    expect(r.json.samples).toBeGreaterThan(100)
  })
})
