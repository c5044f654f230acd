/**
 * SymbolTable from ELF symbol columns (typed arrays, names decoded lazily) against the object-per-
 * symbol construction it replaced (kept below as the reference: filter, stable sort by start,
 * choose_best_symbol per address), on libc's and node's symbol tables; and the alias rules.
 */
import { existsSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { ElfFile, SHT_NOBITS, STT_FUNC, STT_GNU_IFUNC } from '../../parsers/elf/elf-file.js'
import { SymbolTable, type RawSymbol } from './symbol-table.js'

function referenceTable(symbols: RawSymbol[]): { starts: number[]; ends: number[]; names: string[]; sized: boolean[] } {
  const better = (b: RawSymbol, a: RawSymbol): boolean => {
    if (a.size > 0 !== b.size > 0) return b.size > 0
    if ((a.bind === 2) !== (b.bind === 2)) return a.bind === 2
    if ((a.bind === 1) !== (b.bind === 1)) return b.bind === 1
    const u = (s: string): number => s.length - s.replace(/^_+/, '').length
    if (u(a.name) !== u(b.name)) return u(b.name) < u(a.name)
    return b.name.length > a.name.length
  }
  const sorted = symbols.filter((s) => s.name !== '').sort((a, b) => a.start - b.start)
  const out: RawSymbol[] = []
  for (const s of sorted) {
    const prev = out[out.length - 1]
    if (prev && prev.start === s.start) {
      if (better(s, prev)) out[out.length - 1] = s
    } else out.push(s)
  }
  return {
    starts: out.map((s) => s.start),
    ends: out.map((s, i) => (s.size > 0 ? s.start + s.size : i + 1 < out.length ? out[i + 1]!.start : s.start + 4096)),
    names: out.map((s) => s.name),
    sized: out.map((s) => s.size > 0),
  }
}

/**
 * Which reference symbol names addr, given that k (the rightmost start <= addr) covers it: k when
 * it has a size of its own, else the nearest sized symbol before it that still covers addr.
 */
function namingAt(ref: { starts: number[]; ends: number[]; sized: boolean[] }, addr: number, k: number): number {
  if (ref.sized[k]) return k
  for (let j = k - 1; j >= 0 && j >= k - 16; j--) if (ref.sized[j] && addr < ref.ends[j]!) return j
  return k
}

/** What Dso reads: code symbols of one table, via the columns and via objects. */
function bothWays(elf: ElfFile, which: 'symtab' | 'dynsym'): { columns: SymbolTable; objects: RawSymbol[] } {
  const cols = elf.symbolColumns(which)!
  const code = new Set(elf.sections.filter((s) => (s.flags & 4) !== 0 && s.type !== SHT_NOBITS).map((s) => s.index))
  const isCode = (i: number): boolean => {
    const shndx = cols.shndx[i]!
    if (shndx === 0 || shndx >= 0xff00 || cols.nameEmpty(i)) return false
    const t = cols.type(i)
    return t === STT_FUNC || t === STT_GNU_IFUNC || (t === 0 && code.has(shndx))
  }
  const rows: number[] = []
  for (let i = 0; i < cols.count; i++) if (isCode(i)) rows.push(i)
  const bind = Uint8Array.from({ length: cols.count }, (_, i) => cols.bind(i))
  const columns = new SymbolTable(
    { count: cols.count, start: cols.value, size: cols.size, bind, name: (i) => cols.name(i), nameEmpty: (i) => cols.nameEmpty(i), nameShape: (i) => cols.nameShape(i) },
    Uint32Array.from(rows),
  )
  const objects = elf.symbols(which).filter((_, i) => isCode(i)).map((s) => ({ start: s.value, size: s.size, name: s.name, bind: s.bind }))
  return { columns, objects }
}

describe('SymbolTable from symbol columns', () => {
  const bins = ['/usr/lib/x86_64-linux-gnu/libc.so.6', '/usr/bin/node'].filter((p) => existsSync(p))
  for (const path of bins) {
    it(`matches the object-per-symbol table on ${path}`, () => {
      const elf = ElfFile.open(path)
      for (const which of ['symtab', 'dynsym'] as const) {
        if (!elf.symbolColumns(which) || elf.symbolColumns(which)!.count === 0) continue
        const { columns, objects } = bothWays(elf, which)
        const ref = referenceTable(objects)
        const entries = [...columns.entries()]
        expect(columns.length).toBe(ref.starts.length)
        expect(entries.map(([i]) => columns.starts[i])).toEqual(ref.starts)
        expect(entries.map(([i]) => columns.end(i))).toEqual(ref.ends)
        expect(columns.names).toEqual(ref.names)
        // Lookups land on the chosen alias at a symbol's first and last byte (or on the sized
        // function a stretched label lies in), and nowhere past its end.
        for (let k = 0; k < ref.starts.length; k += 97) {
          expect(columns.name(columns.find(ref.starts[k]!))).toBe(ref.names[namingAt(ref, ref.starts[k]!, k)])
          expect(columns.name(columns.find(ref.ends[k]! - 1))).toBe(ref.names[namingAt(ref, ref.ends[k]! - 1, k)])
        }
        // The RawSymbol constructor gives the same table.
        expect(new SymbolTable(objects).names).toEqual(ref.names)
      }
    })
  }

  it('keeps perf alias rules: sized, non-weak, global, fewer underscores, longer name, else first', () => {
    const t = (syms: RawSymbol[]): string => new SymbolTable(syms).name(0)
    expect(t([{ start: 1, size: 0, name: 'a', bind: 1 }, { start: 1, size: 4, name: 'b', bind: 0 }])).toBe('b')
    expect(t([{ start: 1, size: 4, name: 'w', bind: 2 }, { start: 1, size: 4, name: 'l', bind: 0 }])).toBe('l')
    expect(t([{ start: 1, size: 4, name: 'l', bind: 0 }, { start: 1, size: 4, name: 'g', bind: 1 }])).toBe('g')
    expect(t([{ start: 1, size: 4, name: '__x', bind: 1 }, { start: 1, size: 4, name: '_y', bind: 1 }])).toBe('_y')
    expect(t([{ start: 1, size: 4, name: 'ab', bind: 1 }, { start: 1, size: 4, name: 'abc', bind: 1 }])).toBe('abc')
    expect(t([{ start: 1, size: 4, name: 'one', bind: 1 }, { start: 1, size: 4, name: 'two', bind: 1 }])).toBe('one')
    expect(new SymbolTable([{ start: 5, size: 0, name: '' }]).length).toBe(0)
  })

  it('names a label inside a sized function by the function, and by itself past the function', () => {
    const t = new SymbolTable([
      { start: 0x100, size: 0x48, name: 'func' },
      { start: 0x125, size: 0, name: 'label' },
      { start: 0x130, size: 0, name: 'label2' },
      { start: 0x200, size: 0x10, name: 'next' },
    ])
    const at = (addr: number): string => t.name(t.find(addr))
    expect(at(0x110)).toBe('func')
    expect(at(0x125)).toBe('func')
    expect(at(0x147)).toBe('func')
    expect(at(0x148)).toBe('label2') // past func's end: the stretched label is all there is
    expect(at(0x1ff)).toBe('label2')
    expect(at(0x200)).toBe('next')
  })
})
