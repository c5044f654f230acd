/**
 * Our CIE/FDE walk and CFA interpreter against binutils' own interpretation
 * (`readelf --debug-dump=frames-interp`), row by row, on real binaries. readelf prints one table
 * per FDE:
 *
 *   0000006c 0000000000000020 00000070 FDE cie=00000000 pc=00000000000270e0..0000000000027143
 *      LOC           CFA      rbx   ra
 *   00000000000270e0 rsp+8    u     c-8
 *   00000000000270e1 rsp+16   c-16  c-8
 *
 * For every printed row whose CFA is reg+off we require the same CFA, the same rbp rule and the
 * same RA rule as the row our interpreter has in effect at that address.
 */
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { ElfFile } from '../elf/elf-file.js'
import { parseCfiSection, type CfiSectionKind, type FdeList } from './entries.js'
import { newCfiFailureCounts } from './failures.js'
import { CfaInterpreter, CfaKind, RuleKind, type CfaRow } from './interpreter.js'
import { buildTinyPrograms, parseReadelfInterp, readelfInterp, type ReadelfFde } from './test-programs.test-util.js'

const DW_REG_NAMES = ['rax', 'rdx', 'rcx', 'rbx', 'rsi', 'rdi', 'rbp', 'rsp', 'r8', 'r9', 'r10', 'r11', 'r12', 'r13', 'r14', 'r15', 'rip']

function ruleText(kind: number, value: number): string {
  switch (kind) {
    case RuleKind.UNSPECIFIED:
    case RuleKind.UNDEFINED:
      return 'u'
    case RuleKind.SAME_VALUE:
      return 's'
    case RuleKind.OFFSET:
      return value < 0 ? `c${value}` : `c+${value}`
    case RuleKind.VAL_OFFSET:
      return value < 0 ? `v${value}` : `v+${value}`
    case RuleKind.REGISTER:
      return `r${value}`
    case RuleKind.EXPRESSION:
      return 'exp'
    default:
      return 'vexp'
  }
}

function cfaText(r: CfaRow): string {
  if (r.cfaKind === CfaKind.EXPRESSION) return 'exp'
  const off = r.cfaOffset
  return `${DW_REG_NAMES[r.cfaReg] ?? `r${r.cfaReg}`}${off < 0 ? off : `+${off}`}`
}

interface Counts {
  fdes: number
  rowsCompared: number
  cfaMismatch: number
  rbpMismatch: number
  raMismatch: number
  /** Compared rows where readelf says rbp is saved (c-N): proves the rbp column was really read. */
  rbpSavedRows: number
  missingFdes: number
  examples: string[]
}

/** Interpret every FDE and compare with readelf's rows. */
function crossCheck(list: FdeList, ref: ReadelfFde[]): Counts {
  const c: Counts = { fdes: 0, rowsCompared: 0, cfaMismatch: 0, rbpMismatch: 0, raMismatch: 0, rbpSavedRows: 0, missingFdes: 0, examples: [] }
  const byBegin = new Map<number, number>()
  for (let i = 0; i < list.count; i++) byBegin.set(list.pcBegin[i]!, i)
  const interp = new CfaInterpreter()
  const locs: number[] = []
  const texts: string[][] = []
  for (const f of ref) {
    const i = byBegin.get(f.pcBegin)
    if (i === undefined || list.pcEnd[i] !== f.pcEnd) {
      c.missingFdes++
      continue
    }
    c.fdes++
    locs.length = 0
    texts.length = 0
    const fail = interp.run(list, i, (loc, r) => {
      if (locs.length > 0 && locs[locs.length - 1] === loc) locs.pop(), texts.pop()
      locs.push(loc)
      texts.push([cfaText(r), ruleText(r.bpKind, r.bpValue), ruleText(r.raKind, r.raValue)])
    })
    if (fail !== undefined) c.examples.push(`FDE ${f.pcBegin.toString(16)} failed: ${fail}`)
    for (let k = 0; k < f.locs.length; k++) {
      if (!/^r\w+[+-]\d+$/.test(f.cfa[k]!)) continue
      let j = locs.length - 1
      while (j > 0 && locs[j]! > f.locs[k]!) j--
      const [cfa, rbp, ra] = texts[j] ?? ['?', '?', '?']
      c.rowsCompared++
      if (f.rbp[k]!.startsWith('c')) c.rbpSavedRows++
      const where = `${f.locs[k]!.toString(16)}: readelf ${f.cfa[k]} rbp ${f.rbp[k]} ra ${f.ra[k]} / ours ${cfa} ${rbp} ${ra}`
      if (cfa !== f.cfa[k]) c.cfaMismatch++, c.examples.push(where)
      if (rbp !== f.rbp[k]) c.rbpMismatch++, c.examples.push(where)
      if (ra !== f.ra[k]) c.raMismatch++, c.examples.push(where)
    }
  }
  return c
}

function checkFile(path: string, kind: CfiSectionKind): Counts {
  const elf = ElfFile.parse(readFileSync(path), path)
  const name = kind === 'eh_frame' ? '.eh_frame' : '.debug_frame'
  const sec = elf.section(name)!
  const fails = newCfiFailureCounts()
  const list = parseCfiSection({ kind, bytes: elf.sectionData(sec), bases: { sectionAddr: sec.addr } }, fails)
  const ref = parseReadelfInterp(readelfInterp(path), name)
  expect(Object.values(fails).every((v) => v === 0)).toBe(true)
  expect(list.count).toBe(ref.length)
  return crossCheck(list, ref)
}

describe('CFA rows match readelf --debug-dump=frames-interp', () => {
  it('on every row of libc.so.6 .eh_frame', () => {
    const c = checkFile('/usr/lib/x86_64-linux-gnu/libc.so.6', 'eh_frame')
    console.log(`libc.so.6: ${c.fdes} FDEs, ${c.rowsCompared} reg+off rows compared, (${c.rbpSavedRows} with rbp saved), mismatches cfa ${c.cfaMismatch} rbp ${c.rbpMismatch} ra ${c.raMismatch}`)
    expect(c.examples.slice(0, 10)).toEqual([])
    expect(c.missingFdes).toBe(0)
    expect(c.fdes).toBeGreaterThan(3000)
    expect(c.rowsCompared).toBeGreaterThan(20000)
    expect(c.rbpSavedRows).toBeGreaterThan(5000)
  })

  it.each(['/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2', '/usr/bin/ls', '/usr/bin/gzip', '/usr/bin/readelf'])('on %s', (path) => {
    const c = checkFile(path, 'eh_frame')
    expect(c.examples.slice(0, 10)).toEqual([])
    expect(c.missingFdes).toBe(0)
    expect(c.rowsCompared).toBeGreaterThan(50)
  })

  it('on .debug_frame of a program built with -fno-asynchronous-unwind-tables -g', () => {
    const progs = buildTinyPrograms()
    const c = checkFile(progs.debugFrameOnly, 'debug_frame')
    expect(c.examples.slice(0, 10)).toEqual([])
    expect(c.fdes).toBeGreaterThan(2)
  })
})
