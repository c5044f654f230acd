/**
 * Hand-assembled CIE/FDE byte strings: pointer encodings, the interpreter's opcode coverage, and
 * corrupt input (truncation, bad CIE pointers, absurd sizes) counted rather than thrown.
 */
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { UnwindInfoError } from '../common/errors.js'
import { ElfFile } from '../elf/elf-file.js'
import { CfiCursor, DW_EH_PE } from './cursor.js'
import { parseEhFrameHdr } from './eh-frame-hdr.js'
import { parseCfiSection, type FdeList } from './entries.js'
import { newCfiFailureCounts } from './failures.js'
import { CfaInterpreter, CfaKind, RuleKind } from './interpreter.js'

const uleb = (v: number): number[] => {
  const out: number[] = []
  do {
    let b = v & 0x7f
    v = Math.floor(v / 128)
    if (v !== 0) b |= 0x80
    out.push(b)
  } while (v !== 0)
  return out
}
const sleb = (v: number): number[] => {
  const out: number[] = []
  for (;;) {
    const b = v & 0x7f
    v = Math.floor(v / 128)
    if ((v === 0 && (b & 0x40) === 0) || (v === -1 && (b & 0x40) !== 0)) return [...out, b]
    out.push(b | 0x80)
  }
}
const u32 = (v: number): number[] => [v & 255, (v >>> 8) & 255, (v >>> 16) & 255, (v >>> 24) & 255]
const s32 = (v: number): number[] => u32(v >>> 0)

/** A .eh_frame CIE "zR" with pcrel|sdata4 FDE pointers and `ra at cfa-8`, padded to 4. */
function cie(aug = 'zR', initial: number[] = [0x0c, 7, 8, 0x90, 1]): number[] {
  const augData = aug.includes('R') ? [0x1b] : []
  const body = [...u32(0), 1, ...[...aug].map((c) => c.charCodeAt(0)), 0, ...uleb(1), ...sleb(-8), 16]
  const full = [...body, ...(aug.startsWith('z') ? [...uleb(augData.length), ...augData] : []), ...initial]
  while ((full.length + 4) % 4) full.push(0)
  return [...u32(full.length), ...full]
}

/** An FDE at section offset `at` pointing back to the CIE at `cieAt`, for [begin, begin+range). */
function fde(at: number, cieAt: number, sectionAddr: number, begin: number, range: number, prog: number[]): number[] {
  const pcField = sectionAddr + at + 8
  const body = [...u32(at + 4 - cieAt), ...s32(begin - pcField), ...u32(range), 0, ...prog]
  while ((body.length + 4) % 4) body.push(0)
  return [...u32(body.length), ...body]
}

/** Concatenate entries and the zero terminator. */
function section(entries: () => number[][]): Uint8Array {
  return Uint8Array.from([...entries().flat(), 0, 0, 0, 0])
}

function parse(bytes: Uint8Array, addr = 0x1000): { list: FdeList; fails: ReturnType<typeof newCfiFailureCounts> } {
  const fails = newCfiFailureCounts()
  return { list: parseCfiSection({ kind: 'eh_frame', bytes, bases: { sectionAddr: addr } }, fails), fails }
}

function rows(list: FdeList, i = 0): { out: string[]; fail: string | undefined } {
  const out: string[] = []
  const fail = new CfaInterpreter().run(list, i, (loc, r) => {
    const cfa = r.cfaKind === CfaKind.EXPRESSION ? 'exp' : `r${r.cfaReg}+${r.cfaOffset}`
    out.push(`${loc.toString(16)} ${cfa} bp${r.bpKind}:${r.bpValue} ra${r.raKind}:${r.raValue}`)
  })
  return { out, fail }
}

describe('CfiCursor', () => {
  it('reads LEB128 and every fixed pointer encoding', () => {
    const c = new CfiCursor(Uint8Array.from([0xe5, 0x8e, 0x26, 0x7f, 0x80, 0x7f]))
    expect(c.uleb()).toBe(624485)
    expect(c.sleb()).toBe(-1)
    expect(c.sleb()).toBe(-128)
    expect(c.bad).toBe(false)
    const p = new CfiCursor(Uint8Array.from([...s32(-16), ...u32(0x40), 0x10, 0]))
    expect(p.pointer(DW_EH_PE.pcrel | DW_EH_PE.sdata4, { sectionAddr: 0x2000 })).toBe(0x2000 - 16)
    expect(p.pointer(DW_EH_PE.datarel | DW_EH_PE.udata4, { sectionAddr: 0, data: 0x500 })).toBe(0x540)
    expect(p.pointer(DW_EH_PE.udata2, { sectionAddr: 0 })).toBe(0x10)
    expect(p.bad).toBe(false)
  })

  it('reads DW_EH_PE_indirect through the caller, and flags unusable encodings', () => {
    const c = new CfiCursor(Uint8Array.from([...u32(0x3000), ...u32(0)]))
    const bases = { sectionAddr: 0, readPointer: (a: number) => (a === 0x3000 ? 0x4242 : undefined) }
    expect(c.pointer(DW_EH_PE.indirect | DW_EH_PE.udata4, bases)).toBe(0x4242)
    expect(Number.isNaN(c.pointer(DW_EH_PE.aligned | DW_EH_PE.udata4, bases))).toBe(true)
    expect(c.bad).toBe(true)
  })

  it('flags reads past the end instead of throwing', () => {
    const c = new CfiCursor(Uint8Array.from([0x80, 0x80]))
    expect(c.uleb()).toBe(0)
    expect(c.bad).toBe(true)
  })
})

describe('parseCfiSection + CfaInterpreter on hand-made CFI', () => {
  const prog = [
    0x41, // advance_loc 1
    0x0e, 16, // def_cfa_offset 16
    0x86, 2, // rbp at cfa-16
    0x0a, // remember_state
    0x41,
    0x0d, 6, // def_cfa_register rbp
    0x0b, // restore_state
    0x42,
    0xc6, // restore rbp
    0x2e, 8, // GNU_args_size (ignored)
    0x41,
    0x07, 16, // ra undefined
  ]
  it('produces one row per advance with remember/restore and restore', () => {
    const bytes = section(() => [cie(), fde(0x18, 0, 0x1000, 0x5000, 0x10, prog)])
    const { list, fails } = parse(bytes)
    expect(Object.values(fails).every((v) => v === 0)).toBe(true)
    expect(list.count).toBe(1)
    expect([list.pcBegin[0], list.pcEnd[0]]).toEqual([0x5000, 0x5010])
    const { out, fail } = rows(list)
    expect(fail).toBeUndefined()
    expect(out).toEqual([
      `5000 r7+8 bp0:0 ra${RuleKind.OFFSET}:-8`,
      `5001 r7+16 bp${RuleKind.OFFSET}:-16 ra3:-8`,
      `5002 r7+16 bp3:-16 ra3:-8`,
      `5004 r7+16 bp0:0 ra3:-8`,
      `5005 r7+16 bp0:0 ra${RuleKind.UNDEFINED}:0`,
    ])
  })

  it('counts an unknown opcode and a restore_state without remember per FDE', () => {
    const bytes = section(() => [cie(), fde(0x18, 0, 0x1000, 0x5000, 0x10, [0x41, 0x3f]), fde(0x2c, 0, 0x1000, 0x6000, 8, [0x0b])])
    const { list } = parse(bytes)
    expect(list.count).toBe(2)
    expect(rows(list, 0).fail).toBe('unknownOpcode')
    expect(rows(list, 1).fail).toBe('restoreWithoutRemember')
  })

  it('records the S augmentation and accepts P/L augmentation data', () => {
    const augData = [0x9b, ...s32(0), 0x1b, 0x1b] // P: indirect|pcrel|sdata4 + pointer, L enc, R enc
    const body = [...u32(0), 1, ...[...'zPLRS'].map((c) => c.charCodeAt(0)), 0, 1, 0x78, 16, augData.length, ...augData, 0x0c, 7, 8]
    while ((body.length + 4) % 4) body.push(0)
    const c = [...u32(body.length), ...body]
    const bytes = section(() => [c, fde(c.length, 0, 0x1000, 0x7000, 4, [])])
    // FDE of a 'z' CIE with L has an LSDA pointer in its augmentation data; ours has length 0.
    const { list, fails } = parse(bytes)
    expect(fails.unsupportedCie + fails.badPointerEncoding).toBe(0)
    expect(list.cies[0]!.signalFrame).toBe(true)
    expect(list.cies[0]!.fdeEncoding).toBe(0x1b)
  })

  it('counts corrupt entries: bad CIE pointer (FDE → FDE), truncation, absurd range', () => {
    const a = fde(0x18, 0, 0x1000, 0x5000, 0x10, [])
    const selfRef = fde(0x18 + a.length, 0x18, 0x1000, 0x6000, 0x10, []) // points at an FDE, not a CIE
    const huge = fde(0x18 + a.length * 2, 0, 0x1000, 0x7000, 0x7fffffff, [])
    const bytes = section(() => [cie(), a, selfRef, huge])
    const { list, fails } = parse(bytes)
    expect(list.count).toBe(1)
    expect(fails.badCiePointer).toBe(1)
    expect(fails.absurdRange).toBe(1)
    const cut = parse(bytes.slice(0, bytes.length - 10))
    expect(cut.fails.truncatedEntry).toBe(1)
    const lenPastEnd = Uint8Array.from(bytes)
    lenPastEnd.set(u32(0x7ffffff0), 0x18)
    expect(parse(lenPastEnd).fails.truncatedEntry).toBe(1)
  })

  it('counts an unsupported CIE version once per FDE using it', () => {
    const c = cie()
    c[8] = 9 // version
    const bytes = section(() => [c, fde(0x18, 0, 0x1000, 0x5000, 0x10, []), fde(0x2c, 0, 0x1000, 0x6000, 0x10, [])])
    expect(parse(bytes).fails.unsupportedCie).toBe(2)
  })
})

describe('.eh_frame_hdr', () => {
  const LIBC = '/usr/lib/x86_64-linux-gnu/libc.so.6'
  it("lists exactly the FDEs our .eh_frame walk finds in libc, sorted", () => {
    const elf = ElfFile.parse(readFileSync(LIBC), LIBC)
    const hdrSec = elf.section('.eh_frame_hdr')!
    const ehSec = elf.section('.eh_frame')!
    const hdr = parseEhFrameHdr(elf.sectionData(hdrSec), hdrSec.addr)
    expect(hdr.ehFramePtr).toBe(ehSec.addr)
    const { list } = parse(elf.sectionData(ehSec), ehSec.addr)
    expect(hdr.initialLoc.length).toBe(list.count)
    const ours = new Map<number, number>()
    for (let i = 0; i < list.count; i++) ours.set(list.pcBegin[i]!, ehSec.addr + list.offset[i]!)
    for (let i = 0; i < hdr.initialLoc.length; i++) {
      expect(ours.get(hdr.initialLoc[i]!)).toBe(hdr.fdeAddr[i])
      if (i > 0) expect(hdr.initialLoc[i]!).toBeGreaterThan(hdr.initialLoc[i - 1]!)
    }
    expect(hdr.increasing).toBe(true)
  })

  it('says when the search table is not strictly increasing (the lazy path then compiles eagerly)', () => {
    // version 1, eh_frame_ptr pcrel|sdata4, fde_count udata4, table datarel|sdata4; 2 rows.
    const head = [1, 0x1b, 0x03, 0x3b, 0, 0, 0, 0, 2, 0, 0, 0]
    const row = (loc: number): number[] => [loc, 0, 0, 0, 0, 0, 0, 0]
    expect(parseEhFrameHdr(Uint8Array.from([...head, ...row(8), ...row(16)]), 0x1000).increasing).toBe(true)
    expect(parseEhFrameHdr(Uint8Array.from([...head, ...row(16), ...row(8)]), 0x1000).increasing).toBe(false)
    expect(parseEhFrameHdr(Uint8Array.from([...head, ...row(8), ...row(8)]), 0x1000).increasing).toBe(false)
  })

  it('throws UnwindInfoError for an unreadable header', () => {
    expect(() => parseEhFrameHdr(Uint8Array.from([2, 0x1b, 3, 0x3b]), 0)).toThrow(UnwindInfoError)
    expect(() => parseEhFrameHdr(Uint8Array.from([1, 0x1b]), 0)).toThrow(UnwindInfoError)
    expect(() => parseEhFrameHdr(Uint8Array.from([1, 0x1b, 3, 0x3b, 0, 0, 0, 0, 0xff, 0xff, 0, 0]), 0)).toThrow(/fde_count/)
  })
})
