/**
 * The bin runs the bundle with the V8 code cache the build wrote (cli/launcher.ts): V8 must accept
 * it (a flag set at run time after the cache was made, or a stale cache, would make V8 reject it and
 * quietly cost every run its compile time), and a cache V8 rejects must change nothing but speed.
 */
import { spawnSync } from 'node:child_process'
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'

const ROOT = join(import.meta.dirname, '..')
const DIST = join(ROOT, 'dist')
const FP = join(ROOT, 'fixtures/recordings/fp.data')
const SYMFS = join(ROOT, 'fixtures/symfs')

function run(bin: string, args: string[]): { status: number | null; stdout: string; stderr: string } {
  return spawnSync('node', [bin, ...args], { encoding: 'utf8', env: { ...process.env, PERF_ORC_CODE_CACHE_REPORT: '1' } })
}

describe('the bin and its code cache', () => {
  const copy = mkdtempSync(join(tmpdir(), 'perf-orc-launcher-'))
  afterAll(() => rmSync(copy, { recursive: true, force: true }))

  it('uses the cache the build wrote, for the command it was made with and for others', () => {
    const script = run(join(DIST, 'perf-orc.mjs'), ['script', FP, '--symfs', SYMFS])
    expect(script.status).toBe(0)
    expect(script.stderr).toContain('perf-orc: code cache used')
    const header = run(join(DIST, 'perf-orc.mjs'), ['header', FP])
    expect(header.status).toBe(0)
    expect(header.stderr).toContain('perf-orc: code cache used')
  })

  it('prints the same with a cache V8 rejects, and without one', () => {
    for (const f of ['perf-orc.mjs', 'perf-orc.cjs']) copyFileSync(join(DIST, f), join(copy, f))
    const expected = run(join(DIST, 'perf-orc.mjs'), ['header', FP])
    const missing = run(join(copy, 'perf-orc.mjs'), ['header', FP])
    expect(missing.stderr).toContain('perf-orc: code cache missing')
    expect(missing.stdout).toBe(expected.stdout)
    writeFileSync(join(copy, 'perf-orc.cache'), Buffer.alloc(4096, 0x5a))
    const rejected = run(join(copy, 'perf-orc.mjs'), ['header', FP])
    expect(rejected.status).toBe(0)
    expect(rejected.stderr).toContain('perf-orc: code cache rejected')
    expect(rejected.stdout).toBe(expected.stdout)
  })
})
