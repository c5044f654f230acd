/**
 * CFI → ORC on real binaries. The generic check: for every row readelf prints
 * (readelf --debug-dump=frames-interp) whose rules ORC can express, the compiled table's entry at
 * that address must be the objtool-style translation of the row:
 *
 *   readelf: 00000000000270e1 rsp+16   c-16  c-8      (CFA, rbp, ra)
 *   ORC:     270e1:type:call sp:sp+16 bp:prevsp-16 signal:0
 *
 * Plus the special cases by name: PLT slots, __restore_rt, _start, DRAP, 40 KB frames.
 */
import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { parseCfiSection } from '../../parsers/dwarf-cfi/entries.js'
import { newCfiFailureCounts } from '../../parsers/dwarf-cfi/failures.js'
import {
  buildTinyPrograms,
  parseReadelfInterp,
  readelfInterp,
} from '../../parsers/dwarf-cfi/test-programs.test-util.js'
import { ElfFile } from '../../parsers/elf/elf-file.js'
import { compileBinaryTable } from './binary-tables.js'
import { OrcReg, OrcType } from './entry.js'
import { formatOrcDumpLine } from './dump.js'
import type { OrcTable } from './table.js'

const LIBC = '/usr/lib/x86_64-linux-gnu/libc.so.6'

const at = (t: OrcTable, pc: number): string => formatOrcDumpLine(pc.toString(16), t.entry(t.find(pc)))

/** DWARF numbers of the registers an RA may be kept in (those ORC names), as the dump names them. */
const RA_REGS: Record<string, string> = { r0: 'ax', r1: 'dx', r5: 'di', r10: 'r10', r13: 'r13' }

/** Expected ORC text for a readelf row, or undefined when ORC cannot express it. */
function expectedFor(cfa: string, rbp: string, ra: string): string | undefined {
  if (ra === 'u') return 'type:end sp:(und) bp:(und) signal:0'
  const m = /^(rsp|rbp)([+-]\d+)$/.exec(cfa)
  const bm = /^c(-\d+|\+\d+)$/.exec(rbp)
  const type = ra === 'c-8' ? 'call' : RA_REGS[ra] !== undefined ? `call (ra in ${RA_REGS[ra]})` : undefined
  if (!m || type === undefined || Math.abs(Number(m[2])) > 32767 || (rbp !== 'u' && rbp !== 's' && !bm)) return undefined
  const sp = `${m[1] === 'rsp' ? 'sp' : 'bp'}${m[2]}`
  return `type:${type} sp:${sp} bp:${bm ? `prevsp${bm[1]}` : '(und)'} signal:0`
}

function checkAgainstReadelf(path: string, section: '.eh_frame' | '.debug_frame', table: OrcTable) {
  const ref = parseReadelfInterp(readelfInterp(path), section)
  let compared = 0
  let skipped = 0
  const bad: string[] = []
  for (const f of ref) {
    for (let k = 0; k < f.locs.length; k++) {
      const want = expectedFor(f.cfa[k]!, f.rbp[k]!, f.ra[k]!)
      if (want === undefined) {
        skipped++
        continue
      }
      compared++
      const got = at(table, f.locs[k]!)
      if (got !== `${f.locs[k]!.toString(16)}:${want}`) bad.push(`${got} / readelf ${f.cfa[k]} ${f.rbp[k]} ${f.ra[k]}`)
    }
  }
  return { compared, skipped, bad }
}

function load(path: string): ElfFile {
  return ElfFile.parse(readFileSync(path), path)
}

describe('compiled table = objtool translation of every expressible readelf row', () => {
  const progs = buildTinyPrograms()
  it.each([
    ['libc.so.6', LIBC],
    ['ld-linux-x86-64.so.2', '/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2'],
    ['/usr/bin/ls', '/usr/bin/ls'],
    ['-O2 -fomit-frame-pointer', progs.nofp],
    ['-O0 frame pointers', progs.fp],
    ['-fcf-protection=full', progs.cfProtection],
    ['40 KB frame', progs.bigFrame],
    ['DRAP', progs.drap],
  ])('%s', (_name, path) => {
    const { table } = compileBinaryTable(load(path))
    const r = checkAgainstReadelf(path, '.eh_frame', table)
    expect(r.bad.slice(0, 5)).toEqual([])
    expect(r.compared).toBeGreaterThan(5)
  })

  it('.debug_frame rows of a -fno-asynchronous-unwind-tables -g program', () => {
    const { table, sources } = compileBinaryTable(load(progs.debugFrameOnly))
    expect(sources).toEqual(['eh_frame', 'debug_frame'])
    const r = checkAgainstReadelf(progs.debugFrameOnly, '.debug_frame', table)
    expect(r.bad.slice(0, 5)).toEqual([])
    expect(r.compared).toBeGreaterThan(5)
  })
})

describe('libc.so.6 special cases', () => {
  const elf = load(LIBC)
  const { table, stats } = compileBinaryTable(elf)
  const eh = elf.section('.eh_frame')!
  const list = parseCfiSection({ kind: 'eh_frame', bytes: elf.sectionData(eh), bases: { sectionAddr: eh.addr } }, newCfiFailureCounts())

  it('PLT: per 16-byte slot, sp+8 for the first 11 bytes and sp+16 after (after PLT0)', () => {
    const plt = elf.section('.plt')!
    // PLT0: push GOT+8 (6 bytes) then jmp *GOT+16: sp+16 then sp+24.
    expect(at(table, plt.addr)).toBe(`${plt.addr.toString(16)}:type:call sp:sp+16 bp:(und) signal:0`)
    expect(at(table, plt.addr + 6)).toMatch(/type:call sp:sp\+24 /)
    for (let slot = plt.addr + 16; slot < plt.addr + plt.size; slot += 16) {
      expect(table.spOffset[table.find(slot)]).toBe(8)
      expect(table.spOffset[table.find(slot + 10)]).toBe(8)
      expect(table.spOffset[table.find(slot + 11)]).toBe(16)
      expect(table.spOffset[table.find(slot + 15)]).toBe(16)
    }
    expect(stats.pltRows).toBe(1)
  })

  it('__restore_rt (the "S" CIE): one REGS entry, sp+40 → struct sigcontext, signal 1', () => {
    const idx = [...Array(list.count).keys()].filter((i) => list.cies[list.cieIndex[i]!]!.signalFrame)
    expect(idx.length).toBe(1)
    const begin = list.pcBegin[idx[0]!]!
    const end = list.pcEnd[idx[0]!]!
    for (let pc = begin; pc < end; pc++) {
      expect(at(table, pc)).toBe(`${pc.toString(16)}:type:regs sp:sp+40 bp:(und) signal:1`)
    }
    // glibc's CFI states the sigcontext layout we rely on: r8 (sigcontext+0) at rsp+40,
    // rsp (+120) at rsp+160 (also the CFA), rip (+128) at rsp+168.
    const dump = readelfFramesRaw()
    const fde = dump.slice(dump.indexOf(`pc=${begin.toString(16).padStart(16, '0')}`))
    expect(fde).toMatch(/^[^\n]*\n\s+DW_CFA_def_cfa_expression \(DW_OP_breg7 \(rsp\): 160; DW_OP_deref\)/)
    expect(fde).toMatch(/DW_CFA_expression: r8 \(r8\) \(DW_OP_breg7 \(rsp\): 40\)/)
    expect(fde).toMatch(/DW_CFA_expression: r16 \(rip\) \(DW_OP_breg7 \(rsp\): 168\)/)
    expect(stats.signalFrames).toBe(1)
  })

  it('__vfork (its RA popped into rdi across the syscall) compiles to RA_REG entries naming DI', () => {
    const vfork = elf.symbols().find((s) => s.name === '__vfork')!
    // pop %rdi; mov $58,%eax; syscall; push %rdi; ...: CFA sp+0 from the pop, sp+8 from the push,
    // the RA in rdi throughout (readelf: "ra r5 (rdi)"), as the generic test checks row by row.
    expect(at(table, vfork.value)).toBe(`${vfork.value.toString(16)}:type:call sp:sp+8 bp:(und) signal:0`)
    expect(at(table, vfork.value + 8)).toBe(`${(vfork.value + 8).toString(16)}:type:call (ra in di) sp:sp+0 bp:(und) signal:0`)
    expect(at(table, vfork.value + 9)).toBe(`${(vfork.value + 9).toString(16)}:type:call (ra in di) sp:sp+8 bp:(und) signal:0`)
    const i = table.find(vfork.value + 8)
    expect([table.type(i), table.raReg(i)]).toEqual([OrcType.RA_REG, OrcReg.DI])
    let raRows = 0
    for (let k = 0; k < table.length; k++) if (table.type(k) === OrcType.RA_REG) raRows++
    expect(raRows).toBe(stats.raInRegisterRows)
    expect(raRows).toBeGreaterThanOrEqual(2)
  })

  it('RA undefined (clone/clone3 thread roots) compiles to END_OF_STACK', () => {
    expect(stats.endOfStackRows).toBeGreaterThanOrEqual(1)
    let ends = 0
    for (let i = 0; i < table.length; i++) if (table.type(i) === OrcType.END_OF_STACK) ends++
    expect(ends).toBe(stats.endOfStackRows)
  })

  it('gaps between FDEs are UNDEFINED entries and no two consecutive entries are equal', () => {
    for (let i = 1; i < table.length; i++) {
      expect(table.ips[i]!).toBeGreaterThan(table.ips[i - 1]!)
      const same =
        table.regs[i] === table.regs[i - 1] &&
        table.typeSignal[i] === table.typeSignal[i - 1] &&
        table.spOffset[i] === table.spOffset[i - 1] &&
        table.bpOffset[i] === table.bpOffset[i - 1]
      expect(same).toBe(false)
    }
    expect(table.undefinedIsGap).toBe(true)
    const last = table.length - 1
    expect(table.type(last)).toBe(OrcType.UNDEFINED)
    // Every FDE end that is not another FDE's start is a gap.
    const begins = new Set(Array.from(list.pcBegin))
    for (let i = 0; i < list.count; i++) {
      const end = list.pcEnd[i]!
      if (!begins.has(end)) expect(table.type(table.find(end))).toBe(OrcType.UNDEFINED)
    }
    // The rows readelf prints as unexpressible are gaps: setcontext's (CFA rdx+0, its RA at
    // CFA+168) and the longjmps' (RA in rdx, expressible, but rbp in r9, which is not).
    expect(stats.raNotAtCfaMinus8).toBeGreaterThan(0)
    expect(stats.bpRuleUnsupported).toBeGreaterThan(0)
    expect(stats.rowsUnexpressible).toBeGreaterThan(0)
  })
})

/** `readelf --debug-dump=frames` (raw instructions) of libc. */
function readelfFramesRaw(): string {
  return spawnSync('readelf', ['-wf', LIBC], { encoding: 'utf8', maxBuffer: 1 << 28 }).stdout
}

describe('tiny programs', () => {
  const progs = buildTinyPrograms()
  const symbol = (elf: ElfFile, name: string) => elf.symbols().find((s) => s.name === name)!

  it('_start (RA undefined in crt1.o CFI) is END_OF_STACK', () => {
    const elf = load(progs.nofp)
    const { table } = compileBinaryTable(elf)
    expect(at(table, symbol(elf, '_start').value)).toMatch(/type:end /)
  })

  it('a 40 KB frame is unexpressible in s16: a gap, counted as offsetTooLarge', () => {
    const elf = load(progs.bigFrame)
    const { table, stats } = compileBinaryTable(elf)
    expect(stats.offsetTooLarge).toBeGreaterThan(0)
    const big = symbol(elf, 'big')
    let gaps = 0
    for (let pc = big.value; pc < big.value + big.size; pc++) if (table.type(table.find(pc)) === OrcType.UNDEFINED) gaps++
    expect(gaps).toBeGreaterThan(0)
    expect(at(table, big.value)).toMatch(/type:call sp:sp\+8 /)
  })

  it('DRAP: CFA r10 in the prologue, *(rbp-N) in the body, rbp at *(rbp+0)', () => {
    const elf = load(progs.drap)
    const { table } = compileBinaryTable(elf)
    const f = symbol(elf, 'many')
    const lines = new Set<string>()
    for (let pc = f.value; pc < f.value + f.size; pc++) lines.add(at(table, pc).replace(/^\w+:/, ''))
    expect([...lines].some((l) => l.startsWith('type:call sp:r10+0'))).toBe(true)
    expect([...lines].some((l) => /^type:call sp:\(bp-\d+\) bp:bp\+0 /.test(l))).toBe(true)
    const i = [...Array(table.length).keys()].find((k) => table.spReg(k) === OrcReg.BP_INDIRECT)
    expect(i).toBeDefined()
  })

  it('frame-pointer bodies are sp:bp+16 bp:prevsp-16', () => {
    const elf = load(progs.fp)
    const { table } = compileBinaryTable(elf)
    const f = symbol(elf, 'mid')
    expect(at(table, f.value + 8)).toMatch(/type:call sp:bp\+16 bp:prevsp-16 signal:0$/)
  })
})
