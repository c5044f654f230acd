/**
 * Where kernel symbols come from without --kallsyms: the copy `perf record` left in its build-id
 * cache for the recorded kernel ($PERF_BUILDID_DIR or ~/.debug, [kernel.kallsyms]/BUILD-ID/kallsyms),
 * as perf script uses it. The copy here is written by the test, with a symbol no real kernel has.
 */
import { spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'

const ROOT = join(import.meta.dirname, '..')
const CLI = join(ROOT, 'dist/perf-orc.mjs')
const FP = join(ROOT, 'fixtures/recordings/fp.data')
const SYMFS = join(ROOT, 'fixtures/symfs')
/** The kernel build-id in fp.data's build-id table (perf buildid-list -i fp.data). */
const KERNEL_BUILD_ID = 'e4f18d9dc1d0e6fc2b17e93e885a647b3c0a6fc1'

function script(env: NodeJS.ProcessEnv, extra: string[] = []): string {
  const r = spawnSync('node', [CLI, 'script', FP, '--symfs', SYMFS, ...extra], { encoding: 'utf8', env: { ...process.env, ...env } })
  expect(r.status).toBe(0)
  return r.stdout
}

/** A text symbol per 4 KiB page of the kernel's first 32 MiB of text, named PREFIX_page. */
function pages(prefix: string): string {
  const lines: string[] = []
  for (let p = 0; p < 8192; p++) lines.push(`${(0xffffffff81000000n + BigInt(p) * 4096n).toString(16)} t ${prefix}_${p}`)
  return lines.join('\n') + '\nffffffff83000000 D some_data\n'
}

function kernelLines(out: string): string[] {
  return out.split('\n').filter((l) => l.endsWith('([kernel.kallsyms])'))
}

describe('kernel symbols from the build-id cache', () => {
  const dir = mkdtempSync(join(tmpdir(), 'perf-orc-buildid-'))
  const ksDir = join(dir, '[kernel.kallsyms]', KERNEL_BUILD_ID)
  mkdirSync(ksDir, { recursive: true })
  writeFileSync(join(ksDir, 'kallsyms'), pages('cache_only'))
  const other = join(dir, 'override')
  writeFileSync(other, pages('from_the_option'))

  it('names kernel frames from [kernel.kallsyms]/BUILD-ID/kallsyms under $PERF_BUILDID_DIR', () => {
    const lines = kernelLines(script({ PERF_BUILDID_DIR: dir }))
    expect(lines.length).toBeGreaterThan(10)
    for (const l of lines) expect(l).toMatch(/ cache_only_\d+\+0x[0-9a-f]+ \(\[kernel\.kallsyms\]\)$/)
  })

  it('never takes the copy of another kernel (a different build-id)', () => {
    const wrong = mkdtempSync(join(tmpdir(), 'perf-orc-buildid-other-'))
    const otherId = join(wrong, '[kernel.kallsyms]', KERNEL_BUILD_ID.replace(/^e4/, '00'))
    mkdirSync(otherId, { recursive: true })
    writeFileSync(join(otherId, 'kallsyms'), pages('cache_only'))
    const out = script({ PERF_BUILDID_DIR: wrong })
    expect(kernelLines(out).length).toBeGreaterThan(10)
    expect(out).not.toContain('cache_only_')
  })

  it('--kallsyms FILE wins over the cached copy', () => {
    const lines = kernelLines(script({ PERF_BUILDID_DIR: dir }, ['--kallsyms', other]))
    expect(lines.length).toBeGreaterThan(10)
    for (const l of lines) expect(l).toMatch(/ from_the_option_\d+\+0x/)
  })
})
