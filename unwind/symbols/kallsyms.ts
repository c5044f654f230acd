/**
 * /proc/kallsyms-format kernel symbols: "ffffffff81000000 T _stext" with an optional "\t[module]".
 * Only text symbols (t/T/w/W) name code. Addresses are kept as signed Addr numbers.
 */
import { readFileSync } from 'node:fs'
import type { Addr } from '../../parsers/common/addr.js'
import { SymbolTable, type RawSymbol } from './symbol-table.js'

export interface Kallsyms {
  table: SymbolTable
  /** Module name per symbol index ('' for the core kernel). */
  modules: string[]
  /** Addresses of perf's relocation reference symbols (_text, _stext), kept before aliases are dropped. */
  refSymbols: Map<string, Addr>
}

const REF_SYMBOLS = new Set(['_text', '_stext'])

export function parseKallsyms(text: string): Kallsyms {
  const rows: (RawSymbol & { module: string })[] = []
  let pos = 0
  while (pos < text.length) {
    let eol = text.indexOf('\n', pos)
    if (eol < 0) eol = text.length
    const row = parseLine(text, pos, eol)
    if (row) rows.push(row)
    pos = eol + 1
  }
  rows.sort((a, b) => a.start - b.start)
  // perf sizes kallsyms symbols up to the next one before dropping aliases (symbols__fixup_end,
  // then symbols__fixup_duplicate), so of several names at one address the last listed keeps
  // a size and wins: do the same.
  for (let i = 0; i + 1 < rows.length; i++) rows[i]!.size = rows[i + 1]!.start - rows[i]!.start
  const table = new SymbolTable(rows)
  const moduleAt = new Map(rows.map((r) => [r.start, r.module]))
  const modules = Array.from(table.starts, (s) => moduleAt.get(s) ?? '')
  const refSymbols = new Map(rows.filter((r) => REF_SYMBOLS.has(r.name)).map((r) => [r.name, r.start]))
  return { table, modules, refSymbols }
}

/**
 * One "ffffffff81000000 T name\t[module]" line, text symbols only (t/T/w/W). Hand-parsed: 120k
 * lines per load, and a regex plus a BigInt per line cost more than the rest of a short run.
 */
function parseLine(text: string, pos: number, eol: number): (RawSymbol & { module: string }) | undefined {
  const sp = text.indexOf(' ', pos)
  if (sp < 0 || sp >= eol || sp - pos > 16 || sp + 3 >= eol) return undefined
  const type = text[sp + 1]!
  if (type !== 't' && type !== 'T' && type !== 'w' && type !== 'W') return undefined
  const start = hexAddr(text, pos, sp)
  if (start === 0 || Number.isNaN(start)) return undefined // kptr_restrict shows zeros: useless
  let nameEnd = sp + 3
  while (nameEnd < eol && text[nameEnd] !== '\t' && text[nameEnd] !== ' ') nameEnd++
  // Module symbols end in "\t[name]"; look only within this line.
  let open = nameEnd
  while (open < eol && text[open] !== '[') open++
  const close = open < eol ? text.indexOf(']', open) : -1
  const module = close > open && close <= eol ? text.slice(open + 1, close) : ''
  return { start, size: 0, name: text.slice(sp + 3, nameEnd), module, bind: type === 'T' ? 1 : type === 't' ? 0 : 2 }
}

/** Up to 16 hex digits as a signed-interpretation Addr, without BigInt. */
function hexAddr(text: string, from: number, to: number): number {
  const split = Math.max(from, to - 8)
  const lo = split < to ? parseInt(text.slice(split, to), 16) : 0
  const hiU = split > from ? parseInt(text.slice(from, split), 16) : 0
  const hi = hiU >= 0x80000000 ? hiU - 0x100000000 : hiU
  return hi * 4294967296 + lo
}

export function loadKallsyms(path: string): Kallsyms | undefined {
  try {
    const k = parseKallsyms(readFileSync(path, 'utf8'))
    return k.table.length > 0 ? k : undefined
  } catch {
    return undefined
  }
}
