/**
 * In-process timings of single stages that the end-to-end runs cannot separate: compiling a
 * binary's CFI eagerly (whole table) against lazily (one FDE at a time, only where lookups land).
 * Interleaved runs, medians; see bench/README.md. Usage: npm run bench -- --stages [--runs N]
 */
import { readFileSync } from 'node:fs'
import { performance } from 'node:perf_hooks'
import { ElfFile } from '../parsers/elf/elf-file.js'
import { compileBinaryTable, openLazyBinaryTable, type EntryRef } from '../unwind/orc/binary-tables.js'
import { median } from './report.js'

export interface StageRow {
  stage: string
  runs: number
  medianMs: number
  note: string
}

/** `count` code addresses spread over the binary's .text, deterministic from a fixed seed. */
function textAddresses(elf: ElfFile, path: string, count: number): number[] {
  const text = elf.section('.text')
  if (text === undefined) throw new Error(`${path}: no .text section`)
  let seed = 0x2545f491
  const out: number[] = []
  for (let i = 0; i < count; i++) {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0
    out.push(text.addr + (seed % text.size))
  }
  return out
}

function timeMs(fn: () => void): number {
  const t0 = performance.now()
  fn()
  return performance.now() - t0
}

/**
 * Eager compile of `path`'s whole table, and lazy lookups of 2,000 addresses (about what one
 * binary sees in a 55 MB recording), each on a freshly parsed ElfFile so no run reuses another's
 * work. Runs alternate eager / lazy so machine load falls on both alike.
 */
export function cfiStages(path: string, runs: number): StageRow[] {
  const bytes = readFileSync(path)
  const addrs = textAddresses(ElfFile.parse(bytes, path), path, 2000)
  const eager: number[] = []
  const lazy: number[] = []
  let entries = 0
  let compiled = 0
  const ref: EntryRef = { table: undefined, index: 0 }
  for (let i = 0; i < runs; i++) {
    eager.push(timeMs(() => (entries = compileBinaryTable(ElfFile.parse(bytes, path)).table.length)))
    lazy.push(
      timeMs(() => {
        const t = openLazyBinaryTable(ElfFile.parse(bytes, path))
        if (t === undefined) throw new Error(`${path}: the lazy path does not apply`)
        for (const a of addrs) t.find(a, ref)
        compiled = t.compiledFdes
      }),
    )
  }
  return [
    { stage: `eager CFI compile, ${path}`, runs, medianMs: median(eager), note: `${entries} entries` },
    { stage: `lazy CFI, 2000 lookups, ${path}`, runs, medianMs: median(lazy), note: `${compiled} FDEs compiled` },
  ]
}

export function stagesTable(rows: readonly StageRow[]): string {
  const lines = ['| stage | runs | median ms | |', '|---|---|---|---|']
  for (const r of rows) lines.push(`| ${r.stage} | ${r.runs} | ${r.medianMs.toFixed(1)} | ${r.note} |`)
  return lines.join('\n')
}
