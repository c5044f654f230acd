/**
 * Kernel ORC against the oracle: objtool's own `--dump=orc` on real Debian modules
 * (6.1: pre-6.3 layout, no .orc_header; 6.12: .orc_header, v6.4 layout). Needs
 * bench/kernel-modules.sh to have run; fails (does not skip) otherwise.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { UnwindInfoError } from '../../parsers/common/errors.js'
import { ElfFile, STT_FUNC } from '../../parsers/elf/elf-file.js'
import { readKernelOrc, type KernelOrc } from '../../parsers/kernel-orc/kernel-orc.js'
import { orcHeaderFor } from '../../parsers/kernel-orc/versions.js'
import { OrcReg, OrcType } from './entry.js'
import { formatOrcDumpLine } from './dump.js'
import { dumpKernelOrcFile, formatKernelOrcDump } from './kernel-dump.js'
import { byName, decompressXz, everyNth, listModules, loadKernelFixtures, objtoolDump, type KernelFixtures } from './kernel-fixtures.test-util.js'
import { buildModuleOrcTable } from './kernel-table.js'

const BIG_61 = ['kvm.ko', 'kvm-intel.ko', 'ext4.ko', 'xfs.ko', 'btrfs.ko']
const BIG_612 = ['kvm.ko.xz', 'ext4.ko.xz']
const xzTmp = join(tmpdir(), 'perf-orc-kdump-test')

let fxError: unknown
let fx: KernelFixtures
let mods61: string[]
let mods612: string[]

function load(path: string): KernelOrc {
  return readKernelOrc(ElfFile.parse(new Uint8Array(readFileSync(path)), path))
}

beforeAll(() => {
  try {
    fx = loadKernelFixtures()
    mods61 = listModules(fx.modules61, '.ko')
    mods612 = listModules(fx.modules612, '.ko.xz')
  } catch (e) {
    fxError = e
  }
})
// Missing packages fail every test (a CI machine without them must not pass by skipping).
beforeEach(() => {
  if (fxError) throw fxError
})

describe('objtool --dump=orc, byte for byte', () => {
  it('6.1 modules: 48 spread over the tree plus the big ones', () => {
    expect(mods61.length).toBeGreaterThan(500)
    const picked = [...new Set([...everyNth(mods61, 48), ...byName(mods61, BIG_61)])]
    expect(picked.length).toBeGreaterThanOrEqual(50)
    let lines = 0
    for (const ko of picked) {
      const ours = dumpKernelOrcFile(ElfFile.parse(new Uint8Array(readFileSync(ko)), ko))
      expect(ours, ko).toBe(objtoolDump(fx.objtool61, ko))
      lines += ours.length > 0 ? ours.split('\n').length - 1 : 0
    }
    expect(lines).toBeGreaterThan(100_000)
  })

  it('6.12 modules (.orc_header, v6.4 dialect)', () => {
    expect(mods612.length).toBeGreaterThan(500)
    const picked = [...new Set([...everyNth(mods612, 16), ...byName(mods612, BIG_612)])]
    for (const xz of picked) {
      const ko = decompressXz(xz, xzTmp)
      expect(dumpKernelOrcFile(ElfFile.parse(new Uint8Array(readFileSync(ko)), ko)), xz).toBe(objtoolDump(fx.objtool612, ko))
    }
  })
})

describe('relocations and sites', () => {
  it('every entry of kvm.ko resolves to the section+offset objtool prints', () => {
    const ko = byName(mods61, ['kvm.ko'])[0]!
    const orc = load(ko)
    const labels = objtoolDump(fx.objtool61, ko).split('\n').filter(Boolean).map((l) => l.slice(0, l.indexOf(':')))
    expect(orc.relocatable).toBe(true)
    expect(labels.length).toBe(orc.length)
    const sites = Array.from({ length: orc.length }, (_, i) => {
      const s = orc.site(i)
      return `${s.sectionName}+${s.offset.toString(16)}`
    })
    expect(sites).toEqual(labels)
    expect(new Set(sites.map((s) => s.split('+')[0]))).toContain('.init.text')
  })

  it('a function-symbol relocation (Clang style) gives the same address, objtool-style label', () => {
    const ko = byName(mods61, ['af_key.ko'])[0]!
    const bytes = new Uint8Array(readFileSync(ko))
    const elf = ElfFile.parse(bytes, ko)
    const before = readKernelOrc(elf)
    const ipSec = elf.section('.orc_unwind_ip')!
    const relaSec = elf.sections.find((s) => s.type === 4 && s.info === ipSec.index)!
    const { rela, symtab } = elf.relocationsFor(ipSec)
    const syms = elf.symbolsOf(symtab!)
    // Find a slot 4 bytes before a function start and re-express it as that function - 4.
    let k = -1
    let fn = -1
    for (k = 0; k < rela.length && fn < 0; k++) {
      const target = syms[rela[k]!.symIndex]!
      fn = syms.findIndex((s) => s.type === STT_FUNC && s.shndx === target.shndx && s.value === rela[k]!.addend + 4 && s.value > 0)
    }
    k--
    expect(fn).toBeGreaterThan(0)
    const patched = bytes.slice()
    const v = new DataView(patched.buffer)
    const at = relaSec.offset + 24 * k
    v.setUint32(at + 12, fn, true)
    v.setBigInt64(at + 16, -4n, true) // S + A = f.value - 4: an entry 4 bytes before the function
    const after = readKernelOrc(ElfFile.parse(patched, 'patched'))
    const slot = rela[k]!.offset / 4
    expect(after.ips[slot]).toBe(before.ips[slot])
    expect(after.sectionOf[slot]).toBe(before.sectionOf[slot])
    expect(after.site(slot).symbolName).toBe(syms[fn]!.name)
    expect(formatKernelOrcDump(after).split('\n')[slot]).toMatch(new RegExp(`^${syms[fn]!.name}\\+fffffffffffffffc: `))
    // And objtool agrees on the whole patched file.
    mkdirSync(xzTmp, { recursive: true })
    const file = join(xzTmp, 'af_key-funcsym.ko')
    writeFileSync(file, patched)
    expect(formatKernelOrcDump(after)).toBe(objtoolDump(fx.objtool61, file))
  })
})

describe('format detection', () => {
  it('6.1 module: from .modinfo vermagic; 6.12 module: from .orc_header', () => {
    const a = load(byName(mods61, ['af_key.ko'])[0]!)
    expect([a.format, a.formatSource, a.release]).toEqual(['v4.14', 'release', expect.stringMatching(/^6\.1\.0-/)])
    const b = load(decompressXz(byName(mods612, ['af_key.ko.xz'])[0]!, xzTmp))
    expect([b.format, b.formatSource]).toEqual(['v6.4', 'orc_header'])
  })

  it('the same bytes under a 6.3 or 7.1 .orc_header decode by that layout', () => {
    const ko = decompressXz(byName(mods612, ['af_key.ko.xz'])[0]!, xzTmp)
    const bytes = new Uint8Array(readFileSync(ko))
    const hdr = ElfFile.parse(bytes, ko).section('.orc_header')!
    const v64 = load(ko)
    const i = Array.from({ length: v64.length }, (_, k) => k).find((k) => formatOrcDumpLine('', v64.entry(k)) === ':type:call sp:sp+8 bp:(und) signal:0')!
    // v6.4 word for that entry: sp_reg SP(5) | bp_reg 0 | type CALL(2) << 8 = 0x0205.
    expect(v64.flags[i]).toBe(0x0205)
    const as = (fmt: 'v6.3' | 'v7.1'): KernelOrc => {
      const copy = bytes.slice()
      copy.set(orcHeaderFor(fmt)!, hdr.offset)
      return readKernelOrc(ElfFile.parse(copy, fmt))
    }
    // 6.3: type bits 8-9 = 2 → REGS_PARTIAL, signal bit 10 = 0, end bit 11 = 0.
    expect(as('v6.3').entry(i)).toEqual({ spReg: OrcReg.SP, spOffset: 8, bpReg: 0, bpOffset: 0, type: OrcType.REGS_PARTIAL, signal: false })
    // 7.1: register 5 is DI after the renumbering.
    expect(as('v7.1').entry(i)).toMatchObject({ spReg: OrcReg.DI, type: OrcType.CALL })
    expect(formatKernelOrcDump(as('v6.3')).split('\n')[i]).toMatch(/: sp:sp\+8 bp:\(und\) type:regs \(partial\) signal:0 end:0$/)
  })

  it('an unknown .orc_header hash is an UnwindInfoError at the header', () => {
    const ko = decompressXz(byName(mods612, ['af_key.ko.xz'])[0]!, xzTmp)
    const bytes = new Uint8Array(readFileSync(ko))
    const hdr = ElfFile.parse(bytes, ko).section('.orc_header')!
    bytes[hdr.offset] = bytes[hdr.offset]! ^ 0xff
    expectOrcError(() => readKernelOrc(ElfFile.parse(bytes, 'x')), hdr.offset)
  })
})

/** A copy of `ko` with section `name`'s sh_size (or another u64 field) replaced. */
function patchSection(ko: string, name: string, field: 'size' | 'offset', value: number): Uint8Array {
  const bytes = new Uint8Array(readFileSync(ko))
  const elf = ElfFile.parse(bytes, ko)
  const sec = elf.section(name)!
  const shoff = Number(new DataView(bytes.buffer).getBigUint64(40, true))
  new DataView(bytes.buffer).setBigUint64(shoff + sec.index * 64 + (field === 'size' ? 32 : 24), BigInt(value), true)
  return bytes
}

function expectOrcError(fn: () => unknown, offset?: number): void {
  let err: unknown
  try {
    fn()
  } catch (e) {
    err = e
  }
  expect(err).toBeInstanceOf(UnwindInfoError)
  expect((err as UnwindInfoError).message).toMatch(/at offset 0x[0-9a-f]+$/)
  if (offset !== undefined) expect((err as UnwindInfoError).offset).toBe(offset)
}

describe('damaged tables', () => {
  it('size not a multiple, counts differing, bad relocation: UnwindInfoError with the offset', () => {
    const ko = byName(mods61, ['af_key.ko'])[0]!
    const elf = ElfFile.parse(new Uint8Array(readFileSync(ko)), ko)
    const ip = elf.section('.orc_unwind_ip')!
    const orc = elf.section('.orc_unwind')!
    const parse = (b: Uint8Array) => () => readKernelOrc(ElfFile.parse(b, 'bad'))
    expectOrcError(parse(patchSection(ko, '.orc_unwind_ip', 'size', ip.size - 2)), ip.offset)
    expectOrcError(parse(patchSection(ko, '.orc_unwind', 'size', orc.size - 3)), orc.offset)
    expectOrcError(parse(patchSection(ko, '.orc_unwind', 'size', orc.size - 6)), orc.offset)
    const relaSec = elf.sections.find((s) => s.type === 4 && s.info === ip.index)!
    const b = new Uint8Array(readFileSync(ko))
    new DataView(b.buffer).setBigUint64(relaSec.offset + 24 * 3, 0x7fff0000n, true) // r_offset far outside
    expectOrcError(parse(b), relaSec.offset + 24 * 3)
  })
})

describe('lookup', () => {
  it('OrcTable.find on a placed module returns the entry objtool prints for that range', () => {
    const ko = byName(mods61, ['kvm.ko'])[0]!
    const orc = load(ko)
    const text = -0x3f000000 // 0xffffffffc1000000, a module-area address
    const { table, unplaced, unplacedSections } = buildModuleOrcTable(orc, { '.text': text })
    expect(unplaced).toBeGreaterThan(0)
    expect(unplacedSections).toContain('.init.text')
    // objtool's .text lines (li = line = our entry index), sorted the kernel's way: terminators first on ties.
    const rows = objtoolDump(fx.objtool61, ko)
      .split('\n')
      .map((l, li) => ({ l, li }))
      .filter(({ l }) => l.startsWith('.text+'))
      .map(({ l, li }) => ({ off: parseInt(l.slice(6, l.indexOf(':')), 16), li, weak: / sp:\(und\) .* end:0$/.test(l) }))
      .sort((a, b) => a.off - b.off || Number(!a.weak) - Number(!b.weak) || a.li - b.li)
    expect(table.length).toBe(rows.length)
    const last = rows[rows.length - 1]!.off
    for (let k = 0; k < 3000; k++) {
      const off = (k * 7919) % (last + 16)
      let want = -1
      for (let j = 0; j < rows.length && rows[j]!.off <= off; j++) want = j
      const got = table.find(text + off)
      expect(got, `pc .text+${off.toString(16)}`).toBe(want)
      expect(table.ips[got]).toBe(text + rows[want]!.off)
      expect(table.entry(got)).toEqual(orc.entry(rows[want]!.li))
    }
    expect(table.find(text - 1)).toBe(-1)
  })
})
