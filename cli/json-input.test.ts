/**
 * `perf data convert --to-json` output as input: the converted samples (already unwound by perf)
 * go through report and script like a recording's.
 */
import { execFileSync, spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'

const ROOT = join(import.meta.dirname, '..')
const CLI = join(ROOT, 'dist/perf-orc.mjs')
const JSON_FIXTURE = join(ROOT, 'fixtures/json/fp.json')

function cli(args: string[]): { out: string; err: string; status: number | null } {
  const r = spawnSync('node', [CLI, ...args], { encoding: 'utf8', maxBuffer: 1 << 28 })
  return { out: r.stdout, err: r.stderr, status: r.status }
}

describe('perf JSON input', () => {
  it('report counts every converted sample and names perf\'s symbols', () => {
    const perfSamples = (JSON.parse(readFileSync(JSON_FIXTURE, 'utf8')) as { samples: unknown[] }).samples.length
    const r = cli(['report', JSON_FIXTURE, '--format', 'json'])
    expect(r.status, r.err).toBe(0)
    const rep = JSON.parse(r.out) as { samples: number; topSelf: { symbol: string }[] }
    expect(rep.samples).toBe(perfSamples)
    expect(rep.topSelf.map((x) => x.symbol)).toContain('fp_hash')
  })

  it('script prints the same stacks perf script prints for the converted file', () => {
    const data = join(ROOT, 'fixtures/recordings/fp.data')
    const dir = mkdtempSync(join(tmpdir(), 'orc-json-'))
    const json = join(dir, 'fp.json')
    execFileSync('perf', ['data', 'convert', '--to-json', json, '-i', data, '--force'], { stdio: 'ignore' })
    const ours = cli(['script', json])
    expect(ours.status, ours.err).toBe(0)
    const perf = execFileSync('perf', ['script', '-i', data, '--no-inline'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
    const addrs = (text: string): string[] => [...text.matchAll(/^\t\s*([0-9a-f]+) /gm)].map((m) => m[1]!)
    // perf script prints map-relative user addresses; the JSON carries absolute ones: compare counts
    // and the kernel addresses, which are absolute in both.
    const a = addrs(ours.out)
    const b = addrs(perf)
    expect(a.length).toBe(b.length)
    expect(a.filter((x) => x.startsWith('ffff'))).toEqual(b.filter((x) => x.startsWith('ffff')))
  })

  it('salvages the samples before a cut and reports the position in one line', () => {
    const text = readFileSync(JSON_FIXTURE, 'utf8')
    const cut = join(mkdtempSync(join(tmpdir(), 'orc-json-')), 'cut.json')
    writeFileSync(cut, text.slice(0, Math.floor(text.length / 2)))
    const r = cli(['script', cut])
    expect(r.status).toBe(2)
    expect(r.out.split('\n\n').filter((s) => s.trim()).length).toBeGreaterThan(10)
    expect(r.err.trim().split('\n')).toHaveLength(1)
    expect(r.err).toMatch(/^perf-orc: .*cut\.json/)
  })
})
