import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ElfFile } from '../../parsers/elf/elf-file.js'
import { compileBinaryTable } from './binary-tables.js'
import { cacheDirFromEnv, cachePath, decodeTable, encodeTable, loadOrCompileTable } from './table-cache.js'

const LIBC = '/usr/lib/x86_64-linux-gnu/libc.so.6'
const elf = ElfFile.parse(readFileSync(LIBC), LIBC)

function sameArrays(a: ReturnType<typeof compileBinaryTable>, b: ReturnType<typeof compileBinaryTable>): void {
  expect(b.table.length).toBe(a.table.length)
  expect(Buffer.from(b.table.ips.buffer, b.table.ips.byteOffset, b.table.ips.byteLength)).toEqual(
    Buffer.from(a.table.ips.buffer, a.table.ips.byteOffset, a.table.ips.byteLength),
  )
  expect(Array.from(b.table.spOffset)).toEqual(Array.from(a.table.spOffset))
  expect(Array.from(b.table.bpOffset)).toEqual(Array.from(a.table.bpOffset))
  expect(Array.from(b.table.regs)).toEqual(Array.from(a.table.regs))
  expect(Array.from(b.table.typeSignal)).toEqual(Array.from(a.table.typeSignal))
  expect(b.table.undefinedIsGap).toBe(true)
  expect(b.stats).toEqual(a.stats)
  expect(b.sources).toEqual(a.sources)
}

describe('table cache', () => {
  it('defaults to $XDG_CACHE_HOME/perf-orc, else ~/.cache/perf-orc', () => {
    expect(cacheDirFromEnv({ XDG_CACHE_HOME: '/x/cache', HOME: '/home/u' })).toBe('/x/cache/perf-orc')
    expect(cacheDirFromEnv({ HOME: '/home/u' })).toBe('/home/u/.cache/perf-orc')
    // The XDG spec says relative values are invalid and must be ignored.
    expect(cacheDirFromEnv({ XDG_CACHE_HOME: 'rel', HOME: '/home/u' })).toBe('/home/u/.cache/perf-orc')
  })

  it('round-trips the typed arrays exactly (encode/decode and through the file)', () => {
    const compiled = compileBinaryTable(elf)
    sameArrays(compiled, decodeTable(encodeTable(compiled))!)
    const dir = mkdtempSync(join(tmpdir(), 'perf-orc-cache-'))
    const miss = loadOrCompileTable(elf, { dir })
    expect(miss.fromCache).toBe(false)
    const path = cachePath(dir, elf.buildId!, 'bin')
    expect(existsSync(path)).toBe(true)
    const hit = loadOrCompileTable(elf, { dir })
    expect(hit.fromCache).toBe(true)
    sameArrays(compiled, hit)
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([])
  })

  it('ignores and rewrites a corrupt or truncated cache file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'perf-orc-cache-'))
    loadOrCompileTable(elf, { dir })
    const path = cachePath(dir, elf.buildId!, 'bin')
    const good = readFileSync(path)
    const flipped = Uint8Array.from(good)
    flipped[good.length - 100]! ^= 0xff
    for (const bad of [flipped, good.subarray(0, good.length - 8), Buffer.from('garbage')]) {
      writeFileSync(path, bad)
      const r = loadOrCompileTable(elf, { dir })
      expect(r.fromCache).toBe(false)
      expect(readFileSync(path)).toEqual(good)
      expect(loadOrCompileTable(elf, { dir }).fromCache).toBe(true)
    }
  })

  it('noCache neither reads nor writes', () => {
    const dir = mkdtempSync(join(tmpdir(), 'perf-orc-cache-'))
    const r = loadOrCompileTable(elf, { dir, noCache: true })
    expect(r.fromCache).toBe(false)
    expect(readdirSync(dir)).toEqual([])
  })

  it('keys tables with a separate debug file apart from those without', () => {
    expect(cachePath('/c', 'AB12', 'dbg')).not.toBe(cachePath('/c', 'AB12', 'bin'))
    // Only hex digits survive, so a hostile build-id cannot escape the cache directory.
    expect(cachePath('/c', '../../etc', 'bin')).toBe('/c/ec.bin.orc')
  })
})
