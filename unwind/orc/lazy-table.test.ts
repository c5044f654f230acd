/**
 * LazyBinaryTable (one FDE compiled per first lookup, found through .eh_frame_hdr) against the eager
 * compileBinaryTable: the same entry, or "no unwind info" on both sides, for every entry boundary of
 * the eager table (and the byte before it), every FDE start and end, and random pcs; on libc, ld.so,
 * the tiny test programs (PLT, DRAP, -fcf-protection) and a random sample of /usr/bin/node.
 */
import { existsSync, readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { buildTinyPrograms } from '../../parsers/dwarf-cfi/test-programs.test-util.js'
import { parseEhFrameHdr } from '../../parsers/dwarf-cfi/eh-frame-hdr.js'
import { ElfFile } from '../../parsers/elf/elf-file.js'
import { compileBinaryTable, openLazyBinaryTable, type EntryRef, type LazyBinaryTable } from './binary-tables.js'
import { OrcType } from './entry.js'
import type { OrcTable } from './table.js'

const LIBC = '/usr/lib/x86_64-linux-gnu/libc.so.6'
const LDSO = '/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2'
const NODE = '/usr/bin/node'
const load = (path: string): ElfFile => ElfFile.parse(readFileSync(path), path)

/** "gap" or the entry's fields, as the unwinder would see them. */
function describeEntry(t: OrcTable | undefined, i: number): string {
  if (t === undefined || i < 0 || i >= t.length || t.type(i) === OrcType.UNDEFINED) return 'gap'
  const e = t.entry(i)
  return `${e.type}/${e.spReg}:${e.spOffset}/${e.bpReg}:${e.bpOffset}/${e.signal ? 's' : '-'}`
}

function eagerAt(t: OrcTable, pc: number): string {
  return describeEntry(t, t.find(pc))
}

function lazyAt(l: LazyBinaryTable, pc: number): string {
  const out: EntryRef = { table: undefined, index: -1 }
  return l.find(pc, out) ? describeEntry(out.table, out.index) : 'gap'
}

function probes(elf: ElfFile, eager: OrcTable, random: number, seed: number): number[] {
  const pcs: number[] = []
  for (let i = 0; i < eager.length; i++) pcs.push(eager.ips[i]!, eager.ips[i]! - 1, eager.ips[i]! + 1)
  const hdrSec = elf.section('.eh_frame_hdr')!
  const hdr = parseEhFrameHdr(elf.sectionData(hdrSec), hdrSec.addr)
  for (const loc of hdr.initialLoc) pcs.push(loc, loc - 1)
  const lo = eager.ips[0]! - 64
  const hi = eager.ips[eager.length - 1]! + 64
  let s = seed
  for (let k = 0; k < random; k++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0
    pcs.push(lo + Math.floor((s / 4294967296) * (hi - lo)))
  }
  return pcs
}

function expectSameLookups(path: string, random: number, everyBoundary = true): LazyBinaryTable {
  const elf = load(path)
  const eager = compileBinaryTable(elf).table
  const lazy = openLazyBinaryTable(elf)
  expect(lazy, `${path} should take the lazy path`).toBeDefined()
  let pcs = probes(elf, eager, random, 99)
  if (!everyBoundary) pcs = pcs.slice(pcs.length - random)
  let mismatches = 0
  const first: string[] = []
  for (const pc of pcs) {
    const a = eagerAt(eager, pc)
    const b = lazyAt(lazy!, pc)
    if (a !== b) {
      mismatches++
      if (first.length < 5) first.push(`0x${pc.toString(16)}: eager ${a}, lazy ${b}`)
    }
  }
  expect(first).toEqual([])
  expect(mismatches).toBe(0)
  expect(lazy!.eager).toBeUndefined()
  return lazy!
}

describe('LazyBinaryTable agrees with the eager table', () => {
  const progs = buildTinyPrograms()

  it('on every entry boundary, FDE start and 20k random pcs of libc', () => {
    const lazy = expectSameLookups(LIBC, 20000)
    expect(lazy.compiledFdes).toBeGreaterThan(3000)
  })

  it('on ld.so and the test programs (PLT, DRAP, -fcf-protection, -O0 frame pointers)', () => {
    for (const p of [LDSO, progs.nofp, progs.fp, progs.drap, progs.cfProtection, progs.bigFrame]) expectSameLookups(p, 2000)
  })

  it.runIf(existsSync(NODE))('on 20k random pcs of /usr/bin/node, compiling only the FDEs touched', () => {
    const lazy = expectSameLookups(NODE, 20000, false)
    expect(lazy.compiledFdes).toBeLessThan(20000)
  })

  it('is not used where .debug_frame must be merged or there is no .eh_frame_hdr', () => {
    expect(openLazyBinaryTable(load(progs.debugFrameOnly))).toBeUndefined()
    const elf = load(progs.nofp)
    expect(openLazyBinaryTable(elf, { debugFile: load(progs.debugFrameOnly) })).toBeUndefined()
  })

  it('switches to the eager table when the search table disagrees with .eh_frame', () => {
    const bytes = Uint8Array.from(readFileSync(LIBC))
    const elf = ElfFile.parse(bytes, 'libc-bad-hdr')
    const hdrSec = elf.section('.eh_frame_hdr')!
    const hdr = parseEhFrameHdr(elf.sectionData(hdrSec), hdrSec.addr)
    // Row 100's initial location +1 (still sorted): its FDE's pc_begin no longer matches.
    const k = 100
    expect(hdr.initialLoc[k]! + 1).toBeLessThan(hdr.initialLoc[k + 1]!)
    const fieldAt = hdrSec.offset + 12 + k * 8
    const v = new DataView(bytes.buffer, bytes.byteOffset)
    v.setInt32(fieldAt, v.getInt32(fieldAt, true) + 1, true)
    const bad = ElfFile.parse(bytes, 'libc-bad-hdr')
    const lazy = openLazyBinaryTable(bad)!
    const eager = compileBinaryTable(bad).table
    expect(lazyAt(lazy, hdr.initialLoc[k]! + 2)).toBe(eagerAt(eager, hdr.initialLoc[k]! + 2))
    expect(lazy.eager).toBeDefined()
    for (const pc of probes(bad, eager, 2000, 7)) expect(lazyAt(lazy, pc)).toBe(eagerAt(eager, pc))
  })
})
