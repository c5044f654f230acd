import { describe, expect, it } from 'vitest'
import { execFileSync } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gunzipSync } from 'node:zlib'
import { Profile } from 'pprof-format'
import { renderPprof } from './pprof.js'
import { fixtureSamples } from './testdata/fixture-samples.js'

/** `go tool pprof` on FILE; deliberately no skip: a missing `go` must fail this test. */
function goPprof(args: string[]): string {
  return execFileSync('go', ['tool', 'pprof', ...args], {
    encoding: 'utf8',
    env: { ...process.env, PPROF_BINARY_PATH: '/nonexistent', HOME: process.env.HOME ?? tmpdir() },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
}

/** flat column of `-top` for the line ending in `name`. */
function flatOf(top: string, name: string): number | undefined {
  const line = top.split('\n').find((l) => l.trimEnd().endsWith(' ' + name))
  return line === undefined ? undefined : Number(line.trim().split(/\s+/)[0])
}

describe('pprof output', () => {
  const dir = mkdtempSync(join(tmpdir(), 'perf-orc-pprof-'))
  const file = join(dir, 'profile.pb.gz')
  writeFileSync(file, renderPprof(fixtureSamples()))

  it('decodes with pprof-format: two sample types, labels, locations with addresses', () => {
    const p = Profile.decode(gunzipSync(new Uint8Array(execFileSync('cat', [file]))))
    const str = (i: number | bigint) => p.stringTable.strings[Number(i)]
    expect(p.sampleType.map((t) => `${str(t.type)}/${str(t.unit)}`)).toEqual(['samples/count', 'cycles/count'])
    const total = p.sample.reduce((a, s) => a + Number(s.value[0]), 0)
    expect(total).toBe(143)
    expect(p.sample.reduce((a, s) => a + Number(s.value[1]), 0)).toBe(185_000)
    expect(p.sample.every((s) => s.label.length === 3)).toBe(true)
    const kernel = p.location.find((l) => BigInt(l.address) > 0xffff000000000000n)
    expect(kernel).toBeDefined()
  })

  it('is readable by go tool pprof -top with the right counts', () => {
    const top = goPprof(['-top', '-sample_index=samples', '-nodecount=100', file])
    expect(flatOf(top, 'hot_loop')).toBe(40)
    expect(flatOf(top, 'memcpy')).toBe(20)
    expect(flatOf(top, 'LFoo;::bar')).toBe(25)
    // -top shortens C++-looking names (drops <...>); -raw shows the stored name in full.
    expect(flatOf(top, '? window.__pwned=2')).toBe(8)
    const raw = goPprof(['-raw', file])
    expect(raw).toContain('(<img src=x onerror=window.__pwned=1>)')
    expect(raw).toContain('(? </script><script>window.__pwned=2</script>)')
    expect(raw).toContain('[kernel.kallsyms]')
    const byPeriod = goPprof(['-top', '-sample_index=cycles', '-nodecount=100', file])
    expect(flatOf(byPeriod, 'hot_loop')).toBe(40_000)
    expect(byPeriod).toContain('of 185000 total')
  })

  it('filters by thread label in go tool pprof', () => {
    const top = goPprof(['-top', '-sample_index=samples', '-tagfocus=comm=java', file])
    expect(flatOf(top, 'LFoo;::bar')).toBe(25)
    expect(flatOf(top, 'hot_loop')).toBeUndefined()
  })

  it('carries a wall-clock time only when the recording links its clock to one (CLOCK_DATA)', () => {
    const samples = fixtureSamples()
    const first = Math.min(...samples.map((s) => s.time))
    const unknown = Profile.decode(gunzipSync(renderPprof(samples)))
    expect(Number(unknown.timeNanos)).toBe(0)
    expect(goPprof(['-top', file])).not.toMatch(/^Time:/m)
    // 2026-11-22T00:00:00Z for the first sample.
    const wall = Date.UTC(2026, 10, 22) * 1e6
    const known = join(dir, 'known.pb.gz')
    writeFileSync(known, renderPprof(samples, { wallClockOffsetNs: wall - first }))
    expect(Number(Profile.decode(gunzipSync(new Uint8Array(execFileSync('cat', [known])))).timeNanos)).toBe(wall)
    expect(goPprof(['-top', known])).toMatch(/^Time: .*2026/m)
  })
})
