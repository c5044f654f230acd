/**
 * /proc/kallsyms-format kernel symbols: "ffffffff81000000 T _stext" with an optional "\t[module]".
 * Only text symbols (t/T/w/W) name code. Addresses are kept as signed Addr numbers.
 *
 * Parsed straight into typed columns with names left as offsets into the text: a kallsyms file
 * has 120k+ lines and a short run must not spend its time making an object (or a BigInt, or a
 * regex match) per line.
 */
import type { Addr } from '../../parsers/common/addr.js'
import { SymbolTable, type SymbolColumns } from './symbol-table.js'

/** Kernel symbols, looked up by address. A symbol is a handle that find() returned. */
export interface Kallsyms {
  /** The symbol naming addr, or -1. */
  find(addr: Addr): number
  name(symbol: number): string
  start(symbol: number): Addr
  /** Module of a symbol ('' for the core kernel). */
  moduleOf(symbol: number): string
  /** Addresses of perf's relocation reference symbols (_text, _stext), kept before aliases are dropped. */
  refSymbols: Map<string, Addr>
}

/** Every line parsed into a SymbolTable: handles are its indices. */
export interface ParsedKallsyms extends Kallsyms {
  table: SymbolTable
}

export const REF_SYMBOLS = new Set(['_text', '_stext'])
const STB_LOCAL = 0
const STB_GLOBAL = 1
const STB_WEAK = 2

class Columns {
  n = 0
  start = new Float64Array(1 << 14)
  nameStart = new Uint32Array(1 << 14)
  nameEnd = new Uint32Array(1 << 14)
  /** Byte range of the "[module]" name after the symbol name; equal when none (core kernel). */
  modStart = new Uint32Array(1 << 14)
  modEnd = new Uint32Array(1 << 14)
  bind = new Uint8Array(1 << 14)

  push(start: number, nameStart: number, nameEnd: number, bind: number): number {
    if (this.n === this.start.length) this.grow()
    const i = this.n++
    this.start[i] = start
    this.nameStart[i] = nameStart
    this.nameEnd[i] = nameEnd
    this.modStart[i] = this.modEnd[i] = 0
    this.bind[i] = bind
    return i
  }

  private grow(): void {
    const cap = this.start.length * 2
    const grow = <T extends Float64Array | Uint32Array | Uint8Array>(a: T, b: T): T => (b.set(a), b)
    this.start = grow(this.start, new Float64Array(cap))
    this.nameStart = grow(this.nameStart, new Uint32Array(cap))
    this.nameEnd = grow(this.nameEnd, new Uint32Array(cap))
    this.modStart = grow(this.modStart, new Uint32Array(cap))
    this.modEnd = grow(this.modEnd, new Uint32Array(cap))
    this.bind = grow(this.bind, new Uint8Array(cap))
  }
}

/**
 * Parse kallsyms text (bytes as read, or a string). Lines end where Buffer.indexOf finds the
 * newline (native memchr); a line in the kernel's own layout ("%016lx %c %s[\t[%s]]") is read at
 * fixed positions, with data symbols dropped before their address is parsed. Nothing is made per
 * line: names and module names stay byte offsets until asked for. Anything else goes through the
 * general parseLine. (A short run spends most of a kallsyms parse in not-yet-optimized code, so the
 * fewer JS steps per line, the better: a cold parse of 120k lines, table included, went from
 * ~120 to ~70 ms.)
 */
export function parseKallsyms(input: Uint8Array | string): ParsedKallsyms {
  const b = typeof input === 'string' ? Buffer.from(input, 'utf8') : Buffer.from(input.buffer, input.byteOffset, input.byteLength)
  const c = new Columns()
  const refSymbols = new Map<string, Addr>()
  const n = b.length
  let pos = 0
  while (pos < n) {
    let eol = b.indexOf(NEWLINE, pos)
    if (eol < 0) eol = n
    const row = isStandardLine(b, pos, eol) ? parseStandardLine(b, pos, eol, c) : parseLine(b, pos, eol, c)
    if (row >= 0 && b[c.nameStart[row]!] === UNDERSCORE && c.nameEnd[row]! - c.nameStart[row]! <= 6) {
      noteRefSymbol(b, c.nameStart[row]!, c.nameEnd[row]!, c.start[row]!, refSymbols)
    }
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
    name: (r) => b.toString('utf8', c.nameStart[r]!, c.nameEnd[r]!),
    nameEmpty: (r) => c.nameEnd[r] === c.nameStart[r],
    nameShape: (r) => nameShape(b, c.nameStart[r]!, c.nameEnd[r]!),
  }
  const table = new SymbolTable(cols, order)
  const moduleOf = (i: number): string => {
    const r = table.rowOf(i)
    return c.modEnd[r] === c.modStart[r] ? '' : b.toString('utf8', c.modStart[r]!, c.modEnd[r]!)
  }
  return {
    table,
    find: (addr) => table.find(addr),
    name: (i) => table.name(i),
    start: (i) => table.starts[i]!,
    moduleOf,
    refSymbols,
  }
}

const NEWLINE = 10
const SPACE = 32
const TAB = 9
const UNDERSCORE = 95

/** Hex digit values by byte, -1 for a non-digit. */
const HEX = new Int8Array(256).fill(-1)
for (let i = 0; i < 10; i++) HEX[48 + i] = i
for (let i = 0; i < 6; i++) HEX[97 + i] = HEX[65 + i] = 10 + i

/** "0123456789abcdef T name..." with the address 16 digits wide, as the kernel prints it. */
function isStandardLine(b: Uint8Array, pos: number, eol: number): boolean {
  return eol - pos > 19 && b[pos + 16] === SPACE && b[pos + 18] === SPACE && b[pos + 19] !== TAB && b[pos + 19] !== SPACE
}

/** parseLine for a standard line: the row pushed, or -1 for a non-text or zeroed symbol. */
function parseStandardLine(b: Uint8Array, pos: number, eol: number, c: Columns): number {
  const type = b[pos + 17]!
  if (!isTextType(type)) return -1
  const start = hex16(b, pos)
  if (Number.isNaN(start)) return parseLine(b, pos, eol, c)
  const nameStart = pos + 19
  // Module symbols end "\t[module]"; others end at the newline.
  let nameEnd = eol
  if (b[eol - 1] === 93) while (nameEnd > nameStart && b[nameEnd] !== TAB) nameEnd--
  if (nameEnd === nameStart) nameEnd = eol
  return pushSymbol(b, start, type, nameStart, nameEnd, eol, c)
}

/** The 16 hex digits at pos as a signed-interpretation Addr, or NaN. */
export function hex16(b: Uint8Array, pos: number): Addr {
  let hi = 0
  let lo = 0
  let bad = 0
  for (let i = 0; i < 8; i++) {
    const h = HEX[b[pos + i]!]!
    const l = HEX[b[pos + 8 + i]!]!
    bad |= h | l
    hi = hi * 16 + h
    lo = lo * 16 + l
  }
  if (bad < 0) return Number.NaN
  if (hi >= 0x80000000) hi -= 0x100000000
  return hi * 4294967296 + lo
}

/**
 * One line, text symbols only: the row pushed, or -1. A module symbol ("\t[name]" after the
 * name) records where its module name is.
 */
function parseLine(b: Uint8Array, pos: number, eol: number, c: Columns): number {
  let sp = pos
  while (sp < eol && b[sp] !== SPACE) sp++
  if (sp === pos || sp - pos > 16 || sp + 3 >= eol) return -1
  const type = b[sp + 1]!
  if (!isTextType(type)) return -1
  const start = hexAddr(b, pos, sp)
  if (Number.isNaN(start)) return -1
  const nameStart = sp + 3
  let nameEnd = nameStart
  while (nameEnd < eol && b[nameEnd] !== TAB && b[nameEnd] !== SPACE) nameEnd++
  if (nameEnd === nameStart) return -1
  return pushSymbol(b, start, type, nameStart, nameEnd, eol, c)
}

/** t T w W: the symbol names code. */
export function isTextType(type: number): boolean {
  return type === 116 || type === 84 || type === 119 || type === 87
}

/** kallsyms' type letter as an ELF binding: T global, t local, w/W weak. */
export function kallsymsBinding(type: number): number {
  return type === 84 ? STB_GLOBAL : type === 116 ? STB_LOCAL : STB_WEAK
}

/** Both line readers end here: the row pushed, or -1 for a zeroed address. */
function pushSymbol(b: Uint8Array, start: Addr, type: number, nameStart: number, nameEnd: number, eol: number, c: Columns): number {
  if (start === 0) return -1 // kptr_restrict shows zeros: useless
  const row = c.push(start, nameStart, nameEnd, kallsymsBinding(type))
  if (nameEnd < eol) noteModule(b, nameEnd, eol, row, c)
  return row
}

/** Up to 16 hex digits as a signed-interpretation Addr, without BigInt or substrings. */
function hexAddr(b: Uint8Array, from: number, to: number): number {
  let hi = 0
  let lo = 0
  const split = Math.max(from, to - 8)
  for (let i = from; i < split; i++) hi = hi * 16 + hexDigit(b[i]!)
  for (let i = split; i < to; i++) lo = lo * 16 + hexDigit(b[i]!)
  if (hi >= 0x80000000) hi -= 0x100000000
  return hi * 4294967296 + lo
}

/** perf's relocation reference symbols (_text, _stext), by address. */
function noteRefSymbol(b: Buffer, from: number, to: number, start: Addr, refs: Map<string, Addr>): void {
  const name = b.toString('latin1', from, to)
  if (REF_SYMBOLS.has(name)) refs.set(name, start)
}

/** "[name]" after the symbol name, on this line only. */
function noteModule(b: Uint8Array, from: number, eol: number, row: number, c: Columns): void {
  let open = from
  while (open < eol && b[open] !== 91) open++ // '['
  let close = open
  while (close < eol && b[close] !== 93) close++ // ']'
  if (close >= eol) return
  c.modStart[row] = open + 1
  c.modEnd[row] = close
}

/** SymbolColumns.nameShape: leading underscores | length << 16, or -1 for non-ASCII names. */
function nameShape(b: Buffer, from: number, to: number): number {
  let u = 0
  while (from + u < to && b[from + u] === UNDERSCORE) u++
  for (let i = from; i < to; i++) if (b[i]! >= 0x80) return -1
  return u | ((to - from) << 16)
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

function hexDigit(ch: number): number {
  if (ch >= 48 && ch <= 57) return ch - 48
  if (ch >= 97 && ch <= 102) return ch - 87
  if (ch >= 65 && ch <= 70) return ch - 55
  return Number.NaN
}

/** Kernel symbols parsed from kallsyms bytes; undefined when they name no code (kptr_restrict zeros). */
export function parseKallsymsIfAny(bytes: Uint8Array): ParsedKallsyms | undefined {
  const k = parseKallsyms(bytes)
  return k.table.starts.length > 0 ? k : undefined // any row names a symbol; length would count runs
}
