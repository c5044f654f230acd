/**
 * JIT symbol files /tmp/perf-PID.map (V8 --perf-basic-prof, JVM agents, hand-written JITs):
 * one "START SIZE name" line per function, hex START and SIZE, the name is free text to the end
 * of the line. Bad lines are skipped and counted, never fatal.
 */
import { readFileSync } from 'node:fs'
import { SymbolTable, type RawSymbol } from './symbol-table.js'

export interface PerfMap {
  table: SymbolTable
  badLines: number
}

export function parsePerfMap(text: string): PerfMap {
  const syms: RawSymbol[] = []
  let badLines = 0
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue
    const m = /^\s*(?:0x)?([0-9a-fA-F]+)\s+(?:0x)?([0-9a-fA-F]+)\s+(.*)$/.exec(line)
    if (!m) {
      badLines++
      continue
    }
    syms.push({ start: parseInt(m[1]!, 16), size: parseInt(m[2]!, 16), name: m[3]! })
  }
  return { table: new SymbolTable(syms), badLines }
}

export function loadPerfMap(path: string): PerfMap | undefined {
  try {
    return parsePerfMap(readFileSync(path, 'utf8'))
  } catch {
    return undefined
  }
}
