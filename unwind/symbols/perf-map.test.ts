/**
 * perf-PID.map parsing: the line forms JITs write, the lines that must be counted bad, and the
 * same table as the regex reader it replaced on a real map written by node --perf-basic-prof.
 */
import { execFileSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { parsePerfMap } from './perf-map.js'

/** The regex reader perf-map.ts used before (the reference for equivalence). */
function regexLines(text: string): { start: number; size: number; name: string }[] | number {
  const out: { start: number; size: number; name: string }[] = []
  let bad = 0
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue
    const m = /^\s*(?:0x)?([0-9a-fA-F]+)\s+(?:0x)?([0-9a-fA-F]+)\s+(.*)$/.exec(line)
    if (!m) bad++
    else out.push({ start: parseInt(m[1]!, 16), size: parseInt(m[2]!, 16), name: m[3]! })
  }
  return bad > 0 ? bad : out
}

function lookup(text: string, addr: number): string | undefined {
  const t = parsePerfMap(text).table
  const i = t.find(addr)
  return i < 0 ? undefined : t.name(i)
}

describe('parsePerfMap', () => {
  it('reads hex start and size, with or without 0x, and the rest of the line as the name', () => {
    const text = '7f0000001000 40 LazyCompile:*fib /app/x.js:3\n0x7f0000002000 0x20 Builtin: ArgumentsAdaptor\n  7f0000003000\t10\tjit_fn\n'
    expect(lookup(text, 0x7f0000001000)).toBe('LazyCompile:*fib /app/x.js:3')
    expect(lookup(text, 0x7f000000103f)).toBe('LazyCompile:*fib /app/x.js:3')
    expect(lookup(text, 0x7f0000001040)).toBeUndefined()
    expect(lookup(text, 0x7f0000002010)).toBe('Builtin: ArgumentsAdaptor')
    expect(lookup(text, 0x7f000000300f)).toBe('jit_fn')
    expect(parsePerfMap(text).badLines).toBe(0)
  })

  it('drops a CR before the newline and skips blank lines', () => {
    const m = parsePerfMap('1000 10 a\r\n\r\n   \n2000 10 b c\r\n')
    expect(m.badLines).toBe(0)
    expect(m.table.names).toEqual(['a', 'b c'])
  })

  it('counts lines without two hex fields and a separator before the name as bad', () => {
    const m = parsePerfMap('1000 10\nzz 10 a\n10x0 10 a\n1000 10x b\n0x 10 a\n3000 10 ok\n')
    expect(m.badLines).toBe(5)
    expect(m.table.names).toEqual(['ok'])
  })

  it('keeps the table the regex reader built on a map node --perf-basic-prof wrote', () => {
    const dir = mkdtempSync(join(tmpdir(), 'perf-map-'))
    try {
      // node writes /tmp/perf-PID.map; the child prints its pid so the test finds the file.
      const pid = execFileSync('node', ['--perf-basic-prof', '-e', 'let s = 0; for (let i = 0; i < 1e6; i++) s += Math.sqrt(i); console.log(process.pid)'], {
        cwd: dir,
      })
        .toString()
        .trim()
      const path = `/tmp/perf-${pid}.map`
      expect(existsSync(path)).toBe(true)
      const text = readFileSync(path, 'utf8')
      rmSync(path)
      const ref = regexLines(text)
      expect(typeof ref).not.toBe('number')
      const rows = ref as { start: number; size: number; name: string }[]
      expect(rows.length).toBeGreaterThan(100)
      const t = parsePerfMap(text).table
      const perStart = new Map<number, number>()
      for (const r of rows) perStart.set(r.start, (perStart.get(r.start) ?? 0) + 1)
      for (const r of rows.filter((x) => x.size > 0 && x.name !== '')) {
        const i = t.find(r.start)
        expect(i).toBeGreaterThanOrEqual(0)
        expect(t.starts[i]).toBe(r.start)
        // Where V8 reused an address the alias rule picks one name; elsewhere it is this line's.
        if (perStart.get(r.start) === 1) expect(t.name(i)).toBe(r.name)
      }
      expect(t.length).toBe(new Set(rows.filter((x) => x.name !== '').map((x) => x.start)).size)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
