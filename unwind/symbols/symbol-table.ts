/**
 * A sorted, immutable symbol table: parallel arrays, binary search for the rightmost start <= addr.
 * Zero-size symbols extend to the next symbol's start (perf's symbols__fixup_end), so a label in
 * hand-written assembly still names the code after it.
 */
import type { Addr } from '../../parsers/common/addr.js'

export interface RawSymbol {
  start: Addr
  size: number
  name: string
  /** ELF binding (STB_LOCAL 0, GLOBAL 1, WEAK 2); breaks ties between aliases. */
  bind?: number
}

export class SymbolTable {
  readonly starts: Float64Array
  readonly ends: Float64Array
  readonly names: string[]

  constructor(symbols: RawSymbol[]) {
    const sorted = dedupe(symbols.filter((s) => s.name !== '').sort((a, b) => a.start - b.start))
    const n = sorted.length
    this.starts = new Float64Array(n)
    this.ends = new Float64Array(n)
    this.names = new Array<string>(n)
    for (let i = 0; i < n; i++) {
      const s = sorted[i]!
      this.starts[i] = s.start
      const next = i + 1 < n ? sorted[i + 1]!.start : s.start + 4096
      this.ends[i] = s.size > 0 ? s.start + s.size : next
      this.names[i] = s.name
    }
  }

  get length(): number {
    return this.starts.length
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
    if (found < 0 || addr >= this.ends[found]!) return -1
    return found
  }
}

/** Keep one symbol per start address (aliases such as __GI___mmap64 / __mmap / mmap). */
function dedupe(sorted: RawSymbol[]): RawSymbol[] {
  const out: RawSymbol[] = []
  for (const s of sorted) {
    const prev = out[out.length - 1]
    if (prev && prev.start === s.start) {
      if (better(s, prev)) out[out.length - 1] = s
      continue
    }
    out.push(s)
  }
  return out
}

const STB_GLOBAL = 1
const STB_WEAK = 2

/**
 * perf's choose_best_symbol (tools/perf/util/symbol.c), so names match perf script: prefer a
 * sized symbol, then non-weak, then global, then fewer leading underscores, then the longer name;
 * on a full tie the first one stays.
 */
function better(b: RawSymbol, a: RawSymbol): boolean {
  if ((a.size > 0) !== (b.size > 0)) return b.size > 0
  const aw = a.bind === STB_WEAK
  const bw = b.bind === STB_WEAK
  if (aw !== bw) return aw
  const ag = a.bind === STB_GLOBAL
  const bg = b.bind === STB_GLOBAL
  if (ag !== bg) return bg
  const au = underscores(a.name)
  const bu = underscores(b.name)
  if (au !== bu) return bu < au
  return b.name.length > a.name.length
}

function underscores(name: string): number {
  let n = 0
  while (n < name.length && name.charCodeAt(n) === 95) n++
  return n
}
