/**
 * Kernel symbols straight from kallsyms text as the kernel prints it: the core kernel's lines in
 * address order, then the modules' (with "\t[name]" after the symbol) in no order. The core lines
 * are binary-searched where they lie: a recording names a few hundred kernel addresses (370 in
 * the 55 MB V8 bench recording), and each costs about log2 of the text's size in probes (~23 for
 * this kernel's 5.4 MB), where parsing all 120k lines cost that run ~100 ms of not-yet-optimized
 * code (a profile of the old parse). Only the module lines are parsed (parseKallsyms).
 *
 * The answers are parseKallsyms' over the same text (perf's rules, kallsyms.ts): a text symbol
 * (t T w W) ends where the next one starts, the last of the core ones where the first module
 * symbol starts (4 KiB past its start without modules); of aliases, the last listed names the
 * address, except in the final run, where choose_best_symbol's order picks.
 */
import type { Addr } from '../../parsers/common/addr.js'
import { hex16, isTextType, kallsymsBinding, parseKallsymsIfAny, REF_SYMBOLS, type Kallsyms, type ParsedKallsyms } from './kallsyms.js'
import { SymbolTable } from './symbol-table.js'

const NEWLINE = 10
const SPACE = 32
const TAB = 9
const LAST_SYMBOL_SPAN = 4096

export class SortedKallsyms implements Kallsyms {
  private refs: Map<string, Addr> | undefined
  private readonly ends = new Map<number, Addr>()
  /** End of the final symbol (no module symbols after it), once found: its aliases are chosen differently. */
  private finalEnd = Number.NaN
  /** The first core text line, once looked for. */
  private first: number | undefined
  /** The address readableLineAtOrAfter found. */
  private probeAddr = 0

  private constructor(
    private readonly b: Buffer,
    /** Where the module lines begin (b.length without modules): the core lines are before it. */
    private readonly coreEnd: number,
    /** The module lines, parsed; their handles are coreEnd + their table index. */
    private readonly modules: ParsedKallsyms | undefined,
    /** Lowest module symbol address (Infinity without modules). */
    private readonly modulesStart: Addr,
  ) {}

  get refSymbols(): Map<string, Addr> {
    return (this.refs ??= this.findRefSymbols())
  }

  /**
   * Over kernel-printed kallsyms bytes; undefined where they do not have that shape (no text
   * symbol, zeroed addresses, module symbols below core ones): parse those with parseKallsyms.
   */
  static over(b: Buffer): SortedKallsyms | undefined {
    const modulesAt = b.indexOf('\t[')
    const coreEnd = modulesAt < 0 ? b.length : b.lastIndexOf(NEWLINE, modulesAt) + 1
    const probe = new SortedKallsyms(b, coreEnd, undefined, Number.POSITIVE_INFINITY)
    const first = probe.textLineAtOrAfter(0)
    const last = probe.textLineAtOrBefore(probe.lineStartBefore(coreEnd))
    if (first < 0 || last < 0) return undefined // no text symbol, or only zeroed addresses (kptr_restrict)
    if (coreEnd === b.length) return probe
    const modules = parseKallsymsIfAny(b.subarray(coreEnd))
    if (!modules) return probe
    const modulesStart = modules.table.starts[0]!
    if (modulesStart <= hex16(b, last)) return undefined
    return new SortedKallsyms(b, coreEnd, modules, modulesStart)
  }

  find(addr: Addr): number {
    if (addr >= this.modulesStart) {
      const i = this.modules!.find(addr)
      return i < 0 ? -1 : this.coreEnd + i
    }
    const at = this.lastLineAtOrBelow(addr)
    const line = at < 0 ? -1 : this.textLineAtOrBefore(at)
    if (line < 0) return -1
    const end = this.endOf(line, at)
    if (addr >= end) return -1
    return end === this.finalEnd ? this.finalRunChoice(line, hex16(this.b, line)) : line
  }

  /**
   * Where symbol `line` ends: the next text symbol's start (found from `at`, a line at or after
   * it); remembered, since the walk may cross many data-symbol lines (CONFIG_KALLSYMS_ALL).
   */
  private endOf(line: number, at: number): Addr {
    let end = this.ends.get(line)
    if (end === undefined) {
      const next = this.textLineAtOrAfter(this.lineStartAfter(at))
      // Past the last core symbol: the modules' start, else 4 KiB past its own.
      end = next >= 0 ? hex16(this.b, next) : this.modules ? this.modulesStart : (this.finalEnd = hex16(this.b, line) + LAST_SYMBOL_SPAN)
      this.ends.set(line, end)
    }
    return end
  }

  name(symbol: number): string {
    if (symbol >= this.coreEnd) return this.modules!.name(symbol - this.coreEnd)
    const eol = this.eol(symbol)
    return this.b.toString('utf8', symbol + 19, eol)
  }

  start(symbol: number): Addr {
    return symbol >= this.coreEnd ? this.modules!.start(symbol - this.coreEnd) : hex16(this.b, symbol)
  }

  moduleOf(symbol: number): string {
    return symbol >= this.coreEnd ? this.modules!.moduleOf(symbol - this.coreEnd) : ''
  }

  /**
   * The final run of aliases has no next symbol to size it, so none of them is sized and perf's
   * choose_best_symbol order (global, fewer underscores, longer name, ...) picks among them.
   */
  private finalRunChoice(line: number, start: Addr): number {
    const lines: number[] = []
    for (let l = line; l >= 0 && hex16(this.b, l) === start; l = this.textLineAtOrBefore(this.lineStartBefore(l))) lines.unshift(l)
    if (lines.length === 1) return line
    const t = new SymbolTable(lines.map((l) => ({ start, size: 0, name: this.name(l), bind: kallsymsBinding(this.b[l + 17]!) })))
    return lines[t.rowOf(0)]!
  }

  /** Start of the last core line whose address is <= addr, or -1 (binary search over the bytes). */
  private lastLineAtOrBelow(addr: Addr): number {
    let lo = (this.first ??= this.textLineAtOrAfter(0))
    if (lo < 0 || this.addrAt(lo) > addr) return -1
    let hi = this.coreEnd // every line starting at or after hi is above addr
    for (;;) {
      let probe = this.readableLineAtOrAfter(this.lineStartAfter((lo + hi) >>> 1), hi)
      if (probe < 0) probe = this.readableLineAtOrAfter(this.lineStartAfter(lo), hi)
      if (probe < 0) return lo
      if (this.probeAddr <= addr) lo = probe
      else hi = probe
    }
  }

  /**
   * The first line at or after `from` (a line start) and before `end` with a readable address, or
   * -1; its address is left in probeAddr.
   */
  private readableLineAtOrAfter(from: number, end: number): number {
    for (let l = from; l < end; l = this.lineStartAfter(l)) {
      this.probeAddr = this.addrAt(l)
      if (!Number.isNaN(this.probeAddr)) return l
    }
    return -1
  }

  /** The first text-symbol line at or after `from` (a line start) in the core lines, or -1. */
  private textLineAtOrAfter(from: number): number {
    for (let l = from; l < this.coreEnd; l = this.lineStartAfter(l)) if (this.isText(l)) return l
    return -1
  }

  /** The last text-symbol line at or before `from` (a line start), or -1. */
  private textLineAtOrBefore(from: number): number {
    for (let l = from; l >= 0; l = this.lineStartBefore(l)) if (this.isText(l)) return l
    return -1
  }

  /**
   * The address of a line in the kernel's layout ("%016lx %c %s", isStandardLine's test without
   * looking for the line's end), or NaN for any other line.
   */
  private addrAt(line: number): Addr {
    const b = this.b
    if (line + 20 > this.coreEnd || b[line + 16] !== SPACE || b[line + 18] !== SPACE) return Number.NaN
    const c = b[line + 19]
    if (c === SPACE || c === TAB || c === NEWLINE) return Number.NaN
    return hex16(b, line)
  }

  /** A line parseKallsyms keeps: a text symbol with a non-zero address. */
  private isText(line: number): boolean {
    const a = this.addrAt(line)
    return !Number.isNaN(a) && a !== 0 && isTextType(this.b[line + 17]!)
  }

  private eol(line: number): number {
    const e = this.b.indexOf(NEWLINE, line)
    return e < 0 || e > this.coreEnd ? this.coreEnd : e
  }

  /** Start of the line after the one holding byte p (coreEnd past the last core line). */
  private lineStartAfter(p: number): number {
    const e = this.b.indexOf(NEWLINE, p)
    return e < 0 || e >= this.coreEnd ? this.coreEnd : e + 1
  }

  /** Start of the line before the one starting at `line`, or -1 before the first. */
  private lineStartBefore(line: number): number {
    if (line <= 0) return -1
    return this.b.lastIndexOf(NEWLINE, line - 2) + 1
  }

  /**
   * perf's reference symbols in the core lines, then the modules' (parseKallsyms keeps the last
   * listed of a name; the core kernel lists each once, at its start, so the first found is it).
   */
  private findRefSymbols(): Map<string, Addr> {
    const refs = new Map<string, Addr>()
    for (const name of REF_SYMBOLS) {
      const needle = ` ${name}\n`
      for (let at = this.b.indexOf(needle); at >= 0 && at < this.coreEnd; at = this.b.indexOf(needle, at + 1)) {
        const line = at - 18
        if (line >= 0 && (line === 0 || this.b[line - 1] === NEWLINE) && this.isText(line)) {
          refs.set(name, this.addrAt(line))
          break
        }
      }
    }
    for (const [name, addr] of this.modules?.refSymbols ?? []) refs.set(name, addr)
    return refs
  }
}
