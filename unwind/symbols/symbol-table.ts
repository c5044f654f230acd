/**
 * A sorted, immutable symbol table: parallel arrays, binary search for the rightmost start <= addr.
 * Zero-size symbols extend to the next symbol's start (perf's symbols__fixup_end), so a label in
 * hand-written assembly still names the code after it. Where such a stretched label lies inside a
 * sized function, the function names the address, as perf's rb-tree search answers (seen for
 * V8's construct_stub_create_deopt_addr inside Builtins_JSConstructStubGeneric, and for a label
 * in a test program: cli/script-vs-perf.test.ts).
 *
 * Built either from RawSymbol objects (kallsyms, perf maps, PLT stubs) or from columns
 * (SymbolColumns: typed arrays plus a name accessor, what ElfSymbolColumns gives): there no object
 * is made per symbol and a name is decoded only when name(i) is first asked for it (or when two
 * aliases tie on everything before the name in choose_best_symbol's order).
 */
import type { Addr } from '../../parsers/common/addr.js'

export interface RawSymbol {
  start: Addr
  size: number
  name: string
  /** ELF binding (STB_LOCAL 0, GLOBAL 1, WEAK 2); breaks ties between aliases. */
  bind?: number
}

/** Candidate symbols as columns (the constructor's `rows` may select some of them). */
export interface SymbolColumns {
  count: number
  start: Float64Array
  size: Float64Array
  /** ELF binding per row; undefined entries / no array = none (like RawSymbol.bind absent). */
  bind?: Uint8Array
  name(row: number): string
  /** True when row's name is empty; rows with empty names are dropped. */
  nameEmpty(row: number): boolean
  /**
   * Optional: leading underscores | length << 16 of row's name (length in UTF-16 units, as
   * string.length), or -1 when that needs decoding (non-ASCII, very long names).
   */
  nameShape?(row: number): number
}

const NO_BIND = 255
/** How many symbols before a stretched label sizedAround looks at for a function holding it. */
const MAX_RUNS_BACK = 16

export class SymbolTable {
  /**
   * Start of every candidate row in address order, aliases included: an address's symbol is the
   * rightmost start <= addr, which is the last of its run of equal starts. Which alias of a run
   * names it, and where it ends, is worked out on first lookup (choose_best_symbol over the run),
   * not for every symbol up front: a run of perf-orc names a few thousand of node's 99k symbols.
   */
  readonly starts: Float64Array
  /** Source row of each entry of `starts`. */
  private readonly rows: Uint32Array
  private readonly cols: SymbolColumns
  /** Per run (indexed by its last entry): the chosen row + 1, 0 until asked. */
  private readonly best: Uint32Array
  private readonly nameCache: (string | undefined)[] = []
  private distinctCount = -1

  /**
   * `rows`, when given, are the column rows to use, none of them with an empty name. `printed`
   * turns a name into the one printed (demangling): perf breaks ties between aliases on the
   * names it prints.
   */
  constructor(
    symbols: RawSymbol[] | SymbolColumns,
    rows?: Uint32Array,
    private readonly printed?: (name: string) => string,
  ) {
    this.cols = Array.isArray(symbols) ? rawColumns(symbols) : symbols
    this.rows = sortedRows(this.cols, rows)
    const n = this.rows.length
    this.starts = new Float64Array(n)
    for (let i = 0; i < n; i++) this.starts[i] = this.cols.start[this.rows[i]!]!
    this.best = new Uint32Array(n)
  }

  /** How many distinct symbols (runs of equal starts) the table holds. */
  get length(): number {
    if (this.distinctCount < 0) {
      let k = 0
      for (let i = 0; i < this.starts.length; i++) if (this.isRunEnd(i)) k++
      this.distinctCount = k
    }
    return this.distinctCount
  }

  /** The column row that names symbol i (an index find() returned, or any index of its run). */
  rowOf(i: number): number {
    return this.bestRow(this.runEnd(i))
  }

  /** Name of symbol i (decoded on first use, then cached). */
  name(i: number): string {
    const last = this.runEnd(i)
    let s = this.nameCache[last]
    if (s === undefined) {
      s = this.cols.name(this.bestRow(last))
      this.nameCache[last] = s
    }
    return s
  }

  /** End of symbol i: start + size when sized, else the next symbol's start (perf's symbols__fixup_end). */
  end(i: number): number {
    return this.endOfRun(this.runEnd(i))
  }

  /** Every symbol in address order as [index, name] (decodes them all: for tests). */
  *entries(): Generator<[number, string]> {
    for (let i = 0; i < this.starts.length; i++) if (this.isRunEnd(i)) yield [i, this.name(i)]
  }

  /** Every name, in table order (decodes them all: prefer name(i)). */
  get names(): string[] {
    return Array.from(this.entries(), ([, n]) => n)
  }

  /** Index of the symbol containing addr, or -1. */
  find(addr: Addr): number {
    const starts = this.starts
    let lo = 0
    let hi = starts.length - 1
    let found = -1
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1
      if (starts[mid]! <= addr) {
        found = mid
        lo = mid + 1
      } else hi = mid - 1
    }
    // `found` is the last of its run already: the rightmost start <= addr.
    if (found < 0) return -1
    const size = this.cols.size[this.bestRow(found)]!
    if (size > 0) return addr < starts[found]! + size ? found : -1
    if (addr >= this.stretchedEnd(found)) return -1
    return this.sizedAround(found, addr)
  }

  /**
   * The sized symbol among the few runs before `label` (a stretched size-0 symbol) that contains
   * addr, else `label`. Bounded: labels inside one function are few, and this runs once per pc.
   */
  private sizedAround(label: number, addr: Addr): number {
    let i = label
    for (let runs = 0; runs < MAX_RUNS_BACK; runs++) {
      while (i > 0 && this.starts[i - 1] === this.starts[i]) i--
      if (--i < 0) break
      const size = this.cols.size[this.bestRow(i)]!
      if (size > 0 && addr < this.starts[i]! + size) return i
    }
    return label
  }

  private bestRow(last: number): number {
    let b = this.best[last]!
    if (b === 0) b = this.best[last] = this.chooseRun(last) + 1
    return b - 1
  }

  private endOfRun(last: number): number {
    const size = this.cols.size[this.bestRow(last)]!
    return size > 0 ? this.starts[last]! + size : this.stretchedEnd(last)
  }

  /** Where a size-0 symbol ends: at the next symbol's start (perf's symbols__fixup_end), or 4 KiB on. */
  private stretchedEnd(last: number): number {
    return last + 1 < this.starts.length ? this.starts[last + 1]! : this.starts[last]! + 4096
  }

  private runEnd(i: number): number {
    while (i + 1 < this.starts.length && this.starts[i + 1] === this.starts[i]) i++
    return i
  }

  private isRunEnd(i: number): boolean {
    return i + 1 >= this.starts.length || this.starts[i + 1]! !== this.starts[i]!
  }

  /** The alias perf keeps of the run of equal starts ending at `last`: `better` in row order. */
  private chooseRun(last: number): number {
    const starts = this.starts
    let first = last
    while (first > 0 && starts[first - 1] === starts[last]) first--
    let keep = this.rows[first]!
    for (let i = first + 1; i <= last; i++) if (better(this.cols, this.rows[i]!, keep, this.printed)) keep = this.rows[i]!
    return keep
  }
}

/** Rows with a name, sorted by start; equal starts keep row order (as a stable sort would). */
function sortedRows(cols: SymbolColumns, rows: Uint32Array | undefined): Uint32Array {
  let keep: Uint32Array
  if (rows) keep = rows.slice() // the caller selected rows already, and left out empty names
  else {
    keep = new Uint32Array(cols.count)
    let k = 0
    for (let j = 0; j < cols.count; j++) if (!cols.nameEmpty(j)) keep[k++] = j
    keep = keep.slice(0, k)
  }
  const start = cols.start
  let sorted = true
  for (let i = 1; i < keep.length && sorted; i++) if (start[keep[i]!]! < start[keep[i - 1]!]!) sorted = false
  if (!sorted) sortByStart(keep, start)
  return keep
}

function rawColumns(symbols: RawSymbol[]): SymbolColumns {
  const n = symbols.length
  const start = new Float64Array(n)
  const size = new Float64Array(n)
  const bind = new Uint8Array(n)
  for (let i = 0; i < n; i++) {
    const s = symbols[i]!
    start[i] = s.start
    size[i] = s.size
    bind[i] = s.bind === undefined ? NO_BIND : s.bind
  }
  return { count: n, start, size, bind, name: (i) => symbols[i]!.name, nameEmpty: (i) => symbols[i]!.name === '' }
}

/**
 * Sort row indices by start; equal starts stay in their current order (the position breaks ties).
 * (start - min, position) is packed into one u64 key, written as two u32 words, and sorted by
 * BigUint64Array's native numeric sort: no comparator calls and no BigInt values. For node's 86k
 * code symbols that is ~7 ms; a Float64Array key sort took ~12 ms, a comparator sort far longer.
 */
function sortByStart(keep: Uint32Array, start: Float64Array): void {
  const n = keep.length
  let min = Number.POSITIVE_INFINITY
  let max = Number.NEGATIVE_INFINITY
  for (let i = 0; i < n; i++) {
    const v = start[keep[i]!]!
    if (v < min) min = v
    if (v > max) max = v
  }
  let posBits = 1
  while (2 ** posBits < n) posBits++
  const lowBits = 32 - posBits // the bits of (start - min) that share the low word with the position
  if (posBits > 31 || !((max - min) / 2 ** lowBits < 2 ** 32)) return sortByComparator(keep, start)
  const keys = new BigUint64Array(n)
  const words = new Uint32Array(keys.buffer)
  const little = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1
  const [loW, hiW] = little ? [0, 1] : [1, 0]
  const lowSpan = 2 ** lowBits
  const posSpan = 2 ** posBits
  for (let i = 0; i < n; i++) {
    const v = start[keep[i]!]! - min
    const high = Math.floor(v / lowSpan)
    words[2 * i + loW] = (v - high * lowSpan) * posSpan + i
    words[2 * i + hiW] = high
  }
  keys.sort()
  const copy = keep.slice()
  for (let i = 0; i < n; i++) keep[i] = copy[words[2 * i + loW]! % posSpan]!
}

/** Wide address ranges (or absurd counts) that do not fit the u64 key. */
function sortByComparator(keep: Uint32Array, start: Float64Array): void {
  const n = keep.length
  const pos = new Uint32Array(n)
  for (let i = 0; i < n; i++) pos[i] = i
  const keys = new Float64Array(n)
  for (let i = 0; i < n; i++) keys[i] = start[keep[i]!]!
  pos.sort((a, b) => keys[a]! - keys[b]! || a - b)
  const copy = keep.slice()
  for (let i = 0; i < n; i++) keep[i] = copy[pos[i]!]!
}

const STB_GLOBAL = 1
const STB_WEAK = 2

/**
 * perf's choose_best_symbol (tools/perf/util/symbol.c), so names match perf script: prefer a
 * sized symbol, then non-weak, then global, then fewer leading underscores, then the longer name;
 * on a full tie the first one stays. Names are decoded only when everything before them ties.
 * perf demangles names as it loads them (dso__load_sym), before it picks among aliases, so the
 * underscores and lengths compared are those of the printed names: chromium's _Znwm and _Znam
 * tie as mangled names, and perf prints "operator new[]", the longer one.
 */
function better(cols: SymbolColumns, b: number, a: number, printed?: (name: string) => string): boolean {
  const as = cols.size[a]!
  const bs = cols.size[b]!
  if (as > 0 !== bs > 0) return bs > 0
  const ab = cols.bind ? cols.bind[a]! : NO_BIND
  const bb = cols.bind ? cols.bind[b]! : NO_BIND
  const aw = ab === STB_WEAK
  const bw = bb === STB_WEAK
  if (aw !== bw) return aw
  const ag = ab === STB_GLOBAL
  const bg = bb === STB_GLOBAL
  if (ag !== bg) return bg
  if (cols.nameShape) {
    // Leading underscores and length straight from the string table (no decoding). Names with no
    // leading underscore are not mangled: they are printed as they are.
    const sa = cols.nameShape(a)
    const sb = cols.nameShape(b)
    if (sa >= 0 && sb >= 0 && (printed === undefined || ((sa | sb) & 0xffff) === 0)) {
      const au = sa & 0xffff
      const bu = sb & 0xffff
      if (au !== bu) return bu < au
      return sb >>> 16 > sa >>> 16
    }
  }
  const an = printed ? printed(cols.name(a)) : cols.name(a)
  const bn = printed ? printed(cols.name(b)) : cols.name(b)
  const au = underscores(an)
  const bu = underscores(bn)
  if (au !== bu) return bu < au
  return bn.length > an.length
}

function underscores(name: string): number {
  let n = 0
  while (n < name.length && name.charCodeAt(n) === 95) n++
  return n
}
