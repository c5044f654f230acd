/**
 * compileBinaryTable: section choice (.eh_frame, + .debug_frame from the binary or a separate
 * debug file, compressed or not, .sframe as last resort), compile time on libc, and a fuzz run
 * over libc's .eh_frame.
 */
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { UnwindInfoError } from '../../parsers/common/errors.js'
import { buildTinyPrograms } from '../../parsers/dwarf-cfi/test-programs.test-util.js'
import { ElfFile } from '../../parsers/elf/elf-file.js'
import { compileBinaryTable } from './binary-tables.js'
import { dumpOrcTable } from './dump.js'

const LIBC = '/usr/lib/x86_64-linux-gnu/libc.so.6'
const load = (path: string): ElfFile => ElfFile.parse(readFileSync(path), path)
const work = mkdtempSync(join(tmpdir(), 'perf-orc-bt-'))

function objcopy(args: string[], src: string, name: string): string {
  const out = join(work, name)
  execFileSync('objcopy', [...args, src, out], { stdio: 'pipe' })
  return out
}

describe('compileBinaryTable', () => {
  const progs = buildTinyPrograms()

  it('compiles libc eagerly, the same table every time', () => {
    // Compile time is measured by `npm run bench -- --stages`, not here.
    const elf = load(LIBC)
    const first = compileBinaryTable(elf)
    const again = compileBinaryTable(elf)
    expect(first.sources).toEqual(['eh_frame'])
    expect(first.stats.fdes).toBeGreaterThan(3000)
    expect(first.table.length).toBeGreaterThan(first.stats.fdes)
    expect(dumpOrcTable(again.table)).toBe(dumpOrcTable(first.table))
  })

  it('takes .debug_frame from a separate debug file, plain or compressed (zlib, zstd)', () => {
    const whole = compileBinaryTable(load(progs.debugFrameOnly))
    expect(whole.sources).toEqual(['eh_frame', 'debug_frame'])
    const stripped = objcopy(['--strip-debug'], progs.debugFrameOnly, 'stripped')
    const alone = compileBinaryTable(load(stripped))
    expect(alone.sources).toEqual(['eh_frame'])
    expect(alone.table.length).toBeLessThan(whole.table.length)
    const debug = objcopy(['--only-keep-debug'], progs.debugFrameOnly, 'dbg.debug')
    for (const [name, args] of [
      ['plain', []],
      ['zlib', ['--compress-debug-sections=zlib']],
      ['zstd', ['--compress-debug-sections=zstd']],
    ] as const) {
      const file = args.length ? objcopy([...args], debug, `dbg-${name}.debug`) : debug
      const r = compileBinaryTable(load(stripped), { debugFile: load(file) })
      expect(r.sources).toEqual(['eh_frame', 'debug_frame'])
      expect(dumpOrcTable(r.table)).toBe(dumpOrcTable(whole.table))
    }
  })

  it('drops .debug_frame FDEs that .eh_frame already covers', () => {
    // -g with asynchronous unwind tables: gcc puts everything in .eh_frame; a debug file's
    // .debug_frame (of another build of the same code) would only duplicate it.
    const dbg = objcopy(['--only-keep-debug'], progs.debugFrameOnly, 'dbg2.debug')
    const r = compileBinaryTable(load(progs.debugFrameOnly), { debugFile: load(dbg) })
    expect(r.stats.debugFrameShadowed).toBe(0) // the binary's own .debug_frame wins over the debug file's
    const both = compileBinaryTable(load(progs.nofp), { debugFile: load(dbg) })
    expect(both.stats.debugFrameShadowed).toBeGreaterThan(0)
  })

  it('falls back to .sframe only without CFI, and to an empty table without either', () => {
    const noCfi = objcopy(['--remove-section=.eh_frame', '--remove-section=.eh_frame_hdr'], progs.sframe, 'sframe-only')
    const r = compileBinaryTable(load(noCfi))
    expect(r.sources).toEqual(['sframe'])
    expect(r.table.length).toBeGreaterThan(10)
    const none = objcopy(['--remove-section=.eh_frame', '--remove-section=.eh_frame_hdr'], progs.nofp, 'no-unwind')
    const e = compileBinaryTable(load(none))
    expect(e.sources).toEqual([])
    expect(e.table.length).toBe(0)
    expect(e.table.undefinedIsGap).toBe(true)
  })
})

describe('corrupt .eh_frame (500 random byte flips in a copy of libc)', () => {
  it('never throws anything but UnwindInfoError and always terminates', () => {
    const bytes = readFileSync(LIBC)
    const sec = load(LIBC).section('.eh_frame')!
    let seed = 12345
    const rand = (): number => {
      seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0
      return seed / 4294967296
    }
    let threw = 0
    let failures = 0
    const t0 = performance.now()
    for (let round = 0; round < 500; round++) {
      const copy = Uint8Array.from(bytes)
      const flips = 1 + Math.floor(rand() * 8)
      for (let k = 0; k < flips; k++) copy[sec.offset + Math.floor(rand() * sec.size)] = Math.floor(rand() * 256)
      try {
        const r = compileBinaryTable(ElfFile.parse(copy, 'fuzz'))
        failures += r.stats.fdesFailed + r.stats.truncatedEntry + r.stats.badCiePointer + r.stats.absurdRange
      } catch (e) {
        expect(e).toBeInstanceOf(UnwindInfoError)
        threw++
      }
    }
    console.log(`fuzz: 500 rounds in ${(performance.now() - t0).toFixed(0)} ms, ${threw} UnwindInfoErrors, ${failures} counted failures`)
    expect(failures).toBeGreaterThan(0)
  })
})
