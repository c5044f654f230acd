/**
 * JIT symbol files /tmp/perf-PID.map (V8 --perf-basic-prof, JVM agents, hand-written JITs):
 * one "START SIZE name" line per function, hex START and SIZE (an optional 0x each), the name is
 * free text to the end of the line (a CR before the newline is not part of it). Bad lines are
 * skipped and counted, never fatal.
 *
 * Read with charCodeAt over the text, not a regex and an object per line: V8 writes a line per
 * compiled function, and the map is read during the run's first samples, when nothing is warm.
 */
import { readFileSync } from 'node:fs'
import { SymbolTable } from './symbol-table.js'

export interface PerfMap {
  table: SymbolTable
  badLines: number
}

class Lines {
  starts: number[] = []
  sizes: number[] = []
  names: string[] = []
  bad = 0
}

export function parsePerfMap(text: string): PerfMap {
  const out = new Lines()
  let pos = 0
  while (pos < text.length) {
    let eol = text.indexOf('\n', pos)
    if (eol < 0) eol = text.length
    parseLine(text, pos, eol, out)
    pos = eol + 1
  }
  const names = out.names
  const table = new SymbolTable({
    count: names.length,
    start: Float64Array.from(out.starts),
    size: Float64Array.from(out.sizes),
    name: (i) => names[i]!,
    nameEmpty: (i) => names[i] === '',
  })
  return { table, badLines: out.bad }
}

function parseLine(text: string, pos: number, eol: number, out: Lines): void {
  if (eol > pos && text.charCodeAt(eol - 1) === CR) eol--
  let p = skipSpace(text, pos, eol)
  if (p === eol) return // blank
  const start = hexField(text, p, eol)
  p = afterHex
  const sizeAt = skipSpace(text, p, eol)
  if (start < 0 || sizeAt === p) return void out.bad++
  const size = hexField(text, sizeAt, eol)
  p = afterHex
  const nameAt = skipSpace(text, p, eol)
  if (size < 0 || nameAt === p) return void out.bad++
  out.starts.push(start)
  out.sizes.push(size)
  out.names.push(text.slice(nameAt, eol))
}

const CR = 13

/** End of the last hexField (a module variable: the hot loop allocates no result object). */
let afterHex = 0

/** Hex digits at p with an optional 0x, as a number (-1 when there are none); sets afterHex. */
function hexField(text: string, p: number, eol: number): number {
  if (p + 2 < eol && text.charCodeAt(p) === 48 && (text.charCodeAt(p + 1) | 32) === 120 && hexDigit(text.charCodeAt(p + 2)) >= 0) p += 2
  let v = 0
  const from = p
  for (let d = 0; p < eol && (d = hexDigit(text.charCodeAt(p))) >= 0; p++) v = v * 16 + d
  afterHex = p
  return p === from ? -1 : v
}

function hexDigit(c: number): number {
  if (c >= 48 && c <= 57) return c - 48
  const l = c | 32
  return l >= 97 && l <= 102 ? l - 87 : -1
}

/** Past spaces and tabs (and the other ASCII blanks \v \f) from p. */
function skipSpace(text: string, p: number, eol: number): number {
  for (let c = 0; p < eol && ((c = text.charCodeAt(p)) === 32 || (c >= 9 && c <= 12)); p++);
  return p
}

export function loadPerfMap(path: string): PerfMap | undefined {
  try {
    return parsePerfMap(readFileSync(path, 'utf8'))
  } catch {
    return undefined
  }
}
