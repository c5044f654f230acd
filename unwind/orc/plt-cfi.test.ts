/**
 * The PLT of a binary linked by lld, which writes no CFI for it, gets the entries GNU ld's own
 * PLT CFI compiles to. The oracle is the same library linked by GNU ld: byte for byte through
 * .plt, PLT0 and every stub, the two tables must agree, in the eager and in the lazy table.
 */
import { execFileSync } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ElfFile } from '../../parsers/elf/elf-file.js'
import { parseCfiSection } from '../../parsers/dwarf-cfi/entries.js'
import { compileBinaryTable, openLazyBinaryTable, selectFdes, type EntryRef } from './binary-tables.js'
import { compileFdes, newCompileStats } from './compile-cfi.js'
import type { OrcTable } from './table.js'

const LIB_C = `
#include <stdlib.h>
#include <string.h>
static int cmp(const void *a, const void *b) { return *(const int *)a - *(const int *)b; }
long lib_sort(int n) {
  int *v = malloc(n * sizeof *v); long s = 0;
  for (int i = 0; i < n; i++) v[i] = (i * 7919) % n;
  qsort(v, n, sizeof *v, cmp);
  for (int i = 0; i < n; i++) s += v[i];
  s += (long)strlen((const char *)v);
  free(v); return s;
}
`

function build(linker: 'bfd' | 'lld'): ElfFile {
  const dir = mkdtempSync(join(tmpdir(), `orc-plt-${linker}-`))
  writeFileSync(join(dir, 'lib.c'), LIB_C)
  execFileSync('gcc', ['-O1', '-shared', '-fPIC', `-fuse-ld=${linker}`, '-o', 'lib.so', 'lib.c'], { cwd: dir })
  return ElfFile.open(join(dir, 'lib.so'))
}

/** The entry covering each byte of .plt, as "type sp_reg+sp_offset bp_reg" (or "none"). */
function pltEntries(elf: ElfFile, lookup: (pc: number) => { t: OrcTable; i: number } | undefined): string[] {
  const plt = elf.section('.plt')!
  const out: string[] = []
  for (let pc = plt.addr; pc < plt.addr + plt.size; pc++) {
    const e = lookup(pc)
    out.push(e === undefined ? 'none' : `${e.t.type(e.i)} ${e.t.spReg(e.i)}+${e.t.spOffset[e.i]} ${e.t.bpReg(e.i)}`)
  }
  return out
}

const eagerLookup = (elf: ElfFile) => {
  const t = compileBinaryTable(elf).table
  return (pc: number) => {
    const i = t.find(pc)
    return i < 0 ? undefined : { t, i }
  }
}

const lazyLookup = (elf: ElfFile) => {
  const lazy = openLazyBinaryTable(elf)!
  const out: EntryRef = { table: undefined, index: -1 }
  return (pc: number) => (lazy.find(pc, out) ? { t: out.table!, i: out.index } : undefined)
}

describe('a PLT without CFI (lld)', () => {
  const bfd = build('bfd')
  const lld = build('lld')

  it('really has no FDE for its .plt, where GNU ld writes one', () => {
    const plt = lld.section('.plt')!
    expect(plt.size).toBeGreaterThanOrEqual(4 * 16) // PLT0 and the stubs of malloc, qsort, strlen, free
    expect(execFileSync('readelf', ['--debug-dump=frames', lld.name], { encoding: 'utf8' })).not.toMatch(new RegExp(`pc=0*${plt.addr.toString(16)}\\.\\.`))
    expect(execFileSync('readelf', ['--debug-dump=frames', bfd.name], { encoding: 'utf8' })).toMatch(/DW_CFA_def_cfa_expression/)
  })

  it('gets the entries GNU ld\'s PLT CFI compiles to, eagerly and lazily', () => {
    const want = pltEntries(bfd, eagerLookup(bfd))
    const plt0 = want.slice(0, 16)
    const stub = want.slice(16, 32)
    // CFA = rsp+16 in PLT0, rsp+24 after its push; rsp+8 in a stub, rsp+16 after its push.
    expect(new Set([...plt0, ...stub]).size).toBe(3)
    const got = pltEntries(lld, eagerLookup(lld))
    expect(got.slice(0, 16)).toEqual(plt0)
    for (let at = 16; at < got.length; at += 16) expect(got.slice(at, at + 16), `stub at +0x${at.toString(16)}`).toEqual(stub)
    expect(pltEntries(lld, lazyLookup(lld))).toEqual(got)
  })

  it('leaves a PLT that has CFI to its own FDE (so GNU ld\'s entries above are the real oracle)', () => {
    const eh = bfd.section('.eh_frame')!
    const real = parseCfiSection({ kind: 'eh_frame', bytes: bfd.sectionData(eh), bases: { sectionAddr: eh.addr } }, newCompileStats())
    const own = compileFdes(selectFdes([real], newCompileStats()), newCompileStats())
    const fromCfiAlone = pltEntries(bfd, (pc) => {
      const i = own.find(pc)
      return i < 0 ? undefined : { t: own, i }
    })
    expect(pltEntries(bfd, eagerLookup(bfd))).toEqual(fromCfiAlone)
    expect(pltEntries(bfd, lazyLookup(bfd))).toEqual(fromCfiAlone)
  })
})
