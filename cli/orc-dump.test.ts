/**
 * `perf-orc orc dump` through the CLI against objtool's `--dump=orc` on real Debian kernel
 * modules (6.1 and 6.12 layouts), byte for byte, and on a user binary (CFI-compiled table).
 * Needs bench/kernel-modules.sh (run by .ci/run); fails rather than skips without it.
 */
import { execFileSync, spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { decompressXz, everyNth, listModules, loadKernelFixtures, objtoolDump, objtoolDumpVmlinux } from '../unwind/orc/kernel-fixtures.test-util.js'

const CLI = join(import.meta.dirname, '../dist/perf-orc.mjs')

function orcDump(file: string): { out: string; err: string; status: number | null } {
  const r = spawnSync('node', [CLI, 'orc', 'dump', file], { encoding: 'utf8', maxBuffer: 1 << 28 })
  return { out: r.stdout, err: r.stderr, status: r.status }
}

describe('perf-orc orc dump equals objtool --dump=orc', () => {
  const fx = loadKernelFixtures()

  it('on 6.1 modules (pre-6.3 layout, no .orc_header)', () => {
    const mods = everyNth(listModules(fx.modules61, '.ko'), 6)
    for (const ko of mods) {
      const r = orcDump(ko)
      expect(r.status, r.err).toBe(0)
      expect(r.out === objtoolDump(fx.objtool61, ko), ko).toBe(true)
    }
  })

  it('on 6.12 modules (.orc_header, 3-bit types), read compressed as shipped (.ko.xz)', () => {
    const mods = everyNth(listModules(fx.modules612, '.ko.xz'), 3)
    for (const xz of mods) {
      const ko = decompressXz(xz, join(tmpdir(), 'perf-orc-cli-dump'))
      const r = orcDump(xz)
      expect(r.status, r.err).toBe(0)
      expect(r.out === objtoolDump(fx.objtool612, ko), xz).toBe(true)
    }
  })

  it('reads .ko.zst and .ko.gz too, and names undecodable data in one line', () => {
    const xz = listModules(fx.modules612, '.ko.xz').find((p) => p.endsWith('/kvm.ko.xz'))!
    const ko = decompressXz(xz, join(tmpdir(), 'perf-orc-cli-dump'))
    const expected = objtoolDump(fx.objtool612, ko)
    const dir = mkdtempSync(join(tmpdir(), 'perf-orc-cli-zdump-'))
    writeFileSync(join(dir, 'kvm.ko.zst'), execFileSync('zstd', ['-q', '-c', ko]))
    writeFileSync(join(dir, 'kvm.ko.gz'), execFileSync('gzip', ['-c', ko]))
    for (const f of ['kvm.ko.zst', 'kvm.ko.gz']) expect(orcDump(join(dir, f)).out === expected, f).toBe(true)
    writeFileSync(join(dir, 'cut.ko.zst'), readFileSync(join(dir, 'kvm.ko.zst')).subarray(0, 1000))
    const bad = orcDump(join(dir, 'cut.ko.zst'))
    expect(bad.status).toBe(1)
    expect(bad.err.trim().split('\n')).toHaveLength(1)
    expect(bad.err).toMatch(/cut\.ko\.zst: cannot decompress its zstd data/)
  })

  it('on the vmlinux of Debian 6.1 and 6.12 (stripped, from the packages\' bzImage)', () => {
    const tmp = join(tmpdir(), 'perf-orc-cli-vmlinux')
    for (const [vmlinux, objtool, minLines] of [
      [fx.vmlinux61, fx.objtool61, 300_000],
      [fx.vmlinux612, fx.objtool612, 300_000],
    ] as const) {
      const r = orcDump(vmlinux)
      expect(r.status, r.err).toBe(0)
      const theirs = objtoolDumpVmlinux(objtool, vmlinux, tmp)
      expect(theirs.split('\n').length).toBeGreaterThan(minLines)
      expect(r.out === theirs, vmlinux).toBe(true)
    }
  })

  it('prints a CFI-compiled table for a user binary', () => {
    const r = orcDump(join(import.meta.dirname, '../fixtures/symfs/tmp/orc-fixtures/bin/nofpdemo'))
    expect(r.status).toBe(0)
    expect(r.out).toMatch(/^[0-9a-f]+:type:call sp:sp\+8 bp:\(und\) signal:0$/m)
    expect(r.out).toMatch(/^[0-9a-f]+:type:end /m) // _start: RA undefined
  })

  it('names a non-ELF file in one line', () => {
    const r = orcDump(join(import.meta.dirname, '../fixtures/README.md'))
    expect(r.status).toBe(1)
    expect(r.err.trim().split('\n')).toHaveLength(1)
    expect(r.err).toMatch(/^perf-orc: .*README\.md: not an ELF file at offset 0x0/)
  })
})
