/**
 * /proc/kallsyms-format kernel symbols: "ffffffff81000000 T _stext" with an optional "\t[module]".
 * Only text symbols (t/T/w/W) name code. Addresses are kept as signed Addr numbers.
 *
 * Parsed straight into typed columns with names left as offsets into the text: a kallsyms file
 * has 120k+ lines and a short run must not spend its time making an object (or a BigInt, or a
 * regex match) per line.
 */
import { readFile } from 'node:fs/promises'
import type { Addr } from '../../parsers/common/addr.js'
import { SymbolTable, type SymbolColumns } from './symbol-table.js'

export interface Kallsyms {
  table: SymbolTable
  /** Module of the symbol at a table index ('' for the core kernel). */
  moduleOf(index: number): string
  /** Addresses of perf's relocation reference symbols (_text, _stext), kept before aliases are dropped. */
  refSymbols: Map<string, Addr>
}

const REF_SYMBOLS = new Set(['_text', '_stext'])
const STB_LOCAL = 0
const STB_GLOBAL = 1
const STB_WEAK = 2

class Columns {
  n = 0
  start = new Float64Array(1 << 14)
  nameStart = new Uint32Array(1 << 14)
  nameEnd = new Uint32Array(1 << 14)
  bind = new Uint8Array(1 << 14)

  push(start: number, nameStart: number, nameEnd: number, bind: number): void {
    if (this.n === this.start.length) this.grow()
    const i = this.n++
    this.start[i] = start
    this.nameStart[i] = nameStart
    this.nameEnd[i] = nameEnd
    this.bind[i] = bind
  }

  private grow(): void {
    const cap = this.start.length * 2
    const grow = <T extends Float64Array | Uint32Array | Uint8Array>(a: T, b: T): T => (b.set(a), b)
    this.start = grow(this.start, new Float64Array(cap))
    this.nameStart = grow(this.nameStart, new Uint32Array(cap))
    this.nameEnd = grow(this.nameEnd, new Uint32Array(cap))
    this.bind = grow(this.bind, new Uint8Array(cap))
  }
}

export function parseKallsyms(text: string): Kallsyms {
  const c = new Columns()
  const moduleAt = new Map<number, string>()
  const refSymbols = new Map<string, Addr>()
  let pos = 0
  while (pos < text.length) {
    let eol = text.indexOf('\n', pos)
    if (eol < 0) eol = text.length
    parseLine(text, pos, eol, c, moduleAt, refSymbols)
    pos = eol + 1
  }
  const order = sortedRows(c)
  // perf sizes kallsyms symbols up to the next one before dropping aliases (symbols__fixup_end,
  // then symbols__fixup_duplicate), so of several names at one address the last listed keeps
  // a size and wins: the same sizes make SymbolTable's alias rule pick the same name.
  const size = new Float64Array(c.n)
  for (let i = 0; i + 1 < order.length; i++) size[order[i]!] = c.start[order[i + 1]!]! - c.start[order[i]!]!
  const cols: SymbolColumns = {
    count: c.n,
    start: c.start.subarray(0, c.n),
    size,
    bind: c.bind.subarray(0, c.n),
    name: (r) => text.slice(c.nameStart[r]!, c.nameEnd[r]!),
    nameEmpty: (r) => c.nameEnd[r] === c.nameStart[r],
  }
  const table = new SymbolTable(cols, order)
  return { table, moduleOf: (i) => moduleAt.get(table.starts[i]!) ?? '', refSymbols }
}

/** One line, text symbols only; module symbols ("\t[name]") also note their module by address. */
function parseLine(text: string, pos: number, eol: number, c: Columns, moduleAt: Map<number, string>, refs: Map<string, Addr>): void {
  let sp = pos
  while (sp < eol && text.charCodeAt(sp) !== 32) sp++
  if (sp === pos || sp - pos > 16 || sp + 3 >= eol) return
  const type = text.charCodeAt(sp + 1)
  // t T w W
  if (type !== 116 && type !== 84 && type !== 119 && type !== 87) return
  const start = hexAddr(text, pos, sp)
  if (start === 0 || Number.isNaN(start)) return // kptr_restrict shows zeros: useless
  const nameStart = sp + 3
  let nameEnd = nameStart
  while (nameEnd < eol && text.charCodeAt(nameEnd) !== 9 && text.charCodeAt(nameEnd) !== 32) nameEnd++
  if (nameEnd === nameStart) return
  c.push(start, nameStart, nameEnd, type === 84 ? STB_GLOBAL : type === 116 ? STB_LOCAL : STB_WEAK)
  if (nameEnd - nameStart <= 6 && REF_SYMBOLS.has(text.slice(nameStart, nameEnd))) refs.set(text.slice(nameStart, nameEnd), start)
  let open = nameEnd
  while (open < eol && text.charCodeAt(open) !== 91) open++ // '[' on this line only
  let close = open
  while (close < eol && text.charCodeAt(close) !== 93) close++ // ']'
  if (close < eol) moduleAt.set(start, text.slice(open + 1, close))
}

/** Row indices in address order (kallsyms is mostly sorted already; then no sort at all). */
function sortedRows(c: Columns): Uint32Array {
  const order = new Uint32Array(c.n)
  for (let i = 0; i < c.n; i++) order[i] = i
  let sorted = true
  for (let i = 1; i < c.n && sorted; i++) if (c.start[i]! < c.start[i - 1]!) sorted = false
  if (!sorted) order.sort((a, b) => c.start[a]! - c.start[b]! || a - b)
  return order
}

/** Up to 16 hex digits as a signed-interpretation Addr, without BigInt or substrings. */
function hexAddr(text: string, from: number, to: number): number {
  let hi = 0
  let lo = 0
  const split = Math.max(from, to - 8)
  for (let i = from; i < split; i++) hi = hi * 16 + hexDigit(text.charCodeAt(i))
  for (let i = split; i < to; i++) lo = lo * 16 + hexDigit(text.charCodeAt(i))
  if (hi >= 0x80000000) hi -= 0x100000000
  return hi * 4294967296 + lo
}

function hexDigit(ch: number): number {
  if (ch >= 48 && ch <= 57) return ch - 48
  if (ch >= 97 && ch <= 102) return ch - 87
  if (ch >= 65 && ch <= 70) return ch - 55
  return Number.NaN
}

/**
 * The text of a kallsyms file, or undefined when it cannot be read. Asynchronous so that the
 * ~30 ms the kernel takes to generate /proc/kallsyms overlap the start of a run.
 */
export async function readKallsymsText(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8')
  } catch {
    return undefined
  }
}

/** Kernel symbols from kallsyms text; undefined when it names no code. */
export function kallsymsFromText(text: string | undefined): Kallsyms | undefined {
  if (text === undefined) return undefined
  const k = parseKallsyms(text)
  return k.table.length > 0 ? k : undefined
}
