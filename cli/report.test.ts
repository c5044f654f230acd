/**
 * `perf-orc report` on real recordings: the unwinding summary counts how damaged or short stacks
 * ended their walks, and the default input is ./perf.data.
 */
import { spawnSync } from 'node:child_process'
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'

const ROOT = join(import.meta.dirname, '..')
const CLI = join(ROOT, 'dist/perf-orc.mjs')
const SYMFS = join(ROOT, 'fixtures/symfs')
const DWARF = join(ROOT, 'fixtures/recordings/dwarf.data')

interface ReportJson {
  samples: number
  rootedSamples: number
  walkEnds?: Record<string, number>
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

  it('reads ./perf.data when no file is named', () => {
    const dir = mkdtempSync(join(tmpdir(), 'orc-report-'))
    copyFileSync(DWARF, join(dir, 'perf.data'))
    const r = report(['--symfs', SYMFS], dir)
    expect(r.status, r.err).toBe(0)
    expect(r.json.samples).toBeGreaterThan(100)
  })
})
