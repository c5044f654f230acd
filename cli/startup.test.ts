/**
 * Start-up work every run pays for: the bundle defers string-width's Intl.Segmenter (~20 ms of ICU
 * set-up, rolldown.config.mjs) to the first width it measures, which only help and error text do.
 * A preload counts the segmenters made; a dependency update that brings one back at load fails here.
 */
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'

const ROOT = join(import.meta.dirname, '..')
const CLI = join(ROOT, 'dist/perf-orc.mjs')
const FP = join(ROOT, 'fixtures/recordings/fp.data')
const SYMFS = join(ROOT, 'fixtures/symfs')
const MARK = 'test: Intl.Segmenter made'

describe('start-up', () => {
  const dir = mkdtempSync(join(tmpdir(), 'perf-orc-startup-'))
  afterAll(() => rmSync(dir, { recursive: true, force: true }))
  const preload = join(dir, 'count-segmenters.cjs')
  writeFileSync(preload, `const S = Intl.Segmenter
Intl.Segmenter = class extends S { constructor(...a) { super(...a); process.stderr.write(${JSON.stringify(MARK + '\n')}) } }
`)
  const run = (args: string[]) => spawnSync('node', ['--require', preload, CLI, ...args], { encoding: 'utf8' })

  it('script and header make no Intl.Segmenter', () => {
    const script = run(['script', FP, '--symfs', SYMFS, '--no-cache'])
    expect(script.status).toBe(0)
    expect(script.stdout).toContain('main')
    expect(script.stderr).not.toContain(MARK)
    const header = run(['header', FP])
    expect(header.status).toBe(0)
    expect(header.stderr).not.toContain(MARK)
  })

  it('help still measures its columns with one, made on first use', () => {
    const help = run(['script', '--help'])
    expect(help.status).toBe(0)
    expect(help.stdout).toMatch(/--symfs +\S/)
    expect(help.stderr).toContain(MARK)
  })
})
