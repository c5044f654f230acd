/**
 * /proc/kallsyms-format kernel symbols: "ffffffff81000000 T _stext" with an optional "\t[module]".
 * Only text symbols (t/T/w/W) name code. Addresses are kept as signed Addr numbers.
 */
import { readFileSync } from 'node:fs'
import { parseAddrHex } from '../../parsers/common/addr.js'
import { SymbolTable, type RawSymbol } from './symbol-table.js'

export interface Kallsyms {
  table: SymbolTable
  /** Module name per symbol index ('' for the core kernel). */
  modules: string[]
}

export function parseKallsyms(text: string): Kallsyms {
  const rows: (RawSymbol & { module: string })[] = []
  for (const line of text.split('\n')) {
    const m = /^([0-9a-fA-F]+) ([a-zA-Z]) (\S+)(?:\s+\[(\S+)\])?/.exec(line)
    if (!m || !'tTwW'.includes(m[2]!)) continue
    const start = parseAddrHex(m[1]!)
    if (start === 0) continue // kptr_restrict hides addresses as zeros: useless
    const type = m[2]!
    rows.push({ start, size: 0, name: m[3]!, module: m[4] ?? '', bind: type === 'T' ? 1 : type === 't' ? 0 : 2 })
  }
  rows.sort((a, b) => a.start - b.start)
  // perf sizes kallsyms symbols up to the next one before dropping aliases (symbols__fixup_end,
  // then symbols__fixup_duplicate), so of several names at one address the last listed keeps
  // a size and wins: do the same.
  for (let i = 0; i + 1 < rows.length; i++) rows[i]!.size = rows[i + 1]!.start - rows[i]!.start
  const table = new SymbolTable(rows)
  const moduleAt = new Map(rows.map((r) => [r.start, r.module]))
  const modules = Array.from(table.starts, (s) => moduleAt.get(s) ?? '')
  return { table, modules }
}

export function loadKallsyms(path: string): Kallsyms | undefined {
  try {
    const k = parseKallsyms(readFileSync(path, 'utf8'))
    return k.table.length > 0 ? k : undefined
  } catch {
    return undefined
  }
}
