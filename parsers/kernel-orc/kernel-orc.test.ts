/**
 * Layouts and detection from hand-computed words and a synthetic linked image (no fixtures needed;
 * unwind/orc/kernel-dump.test.ts compares real modules with objtool).
 */
import { describe, expect, it } from 'vitest'
import { UnwindInfoError } from '../common/errors.js'
import { ElfFile } from '../elf/elf-file.js'
import { OrcReg, OrcType } from '../../unwind/orc/entry.js'
import { formatKernelOrcDump } from '../../unwind/orc/kernel-dump.js'
import { buildVmlinuxOrcTable } from '../../unwind/orc/kernel-table.js'
import { readKernelOrc } from './kernel-orc.js'
import {
  decodeOrcFlags,
  formatFromOrcHeader,
  formatFromRelease,
  isTerminatorFlags,
  orcHeaderFor,
  parseKernelRelease,
  type OrcFormat,
} from './versions.js'

const rel = (s: string): OrcFormat => formatFromRelease(parseKernelRelease(s)!)

describe('format from release and header', () => {
  it('maps releases to layouts', () => {
    expect(rel('4.14.0')).toBe('v4.14')
    expect(rel('6.1.0-47-cloud-amd64')).toBe('v4.14')
    expect(rel('6.2.16')).toBe('v4.14')
    expect(rel('6.3.1')).toBe('v6.3')
    expect(rel('6.4.0')).toBe('v6.4')
    expect(rel('6.12.107+deb12-cloud-amd64')).toBe('v6.4')
    expect(rel('7.0.3')).toBe('v6.4')
    expect(rel('7.1.0-rc1')).toBe('v7.1')
    expect(rel('5.14.0-570.12.1.el9_6.x86_64')).toBe('v6.4')
    expect(rel('5.14.0-427.el9.x86_64')).toBe('v4.14')
    expect(parseKernelRelease('garbage')).toBeUndefined()
  })

  it('knows the three .orc_header hashes and nothing else', () => {
    for (const f of ['v6.3', 'v6.4', 'v7.1'] as const) expect(formatFromOrcHeader(orcHeaderFor(f)!)).toBe(f)
    expect(orcHeaderFor('v4.14')).toBeUndefined()
    expect(formatFromOrcHeader(new Uint8Array(20))).toBeUndefined()
  })
})

describe('decodeOrcFlags, hand-computed words', () => {
  // sp_reg | bp_reg << 4 | ...; SP = 5, PREV_SP = 1, BP = 4, UNDEFINED = 0 in v4.14..v7.0 numbering.
  it('v4.14: type 2 bits at 8, end at 10; signal implied by regs types', () => {
    expect(decodeOrcFlags('v4.14', 0x0015, 16, -16)).toEqual({ spReg: OrcReg.SP, spOffset: 16, bpReg: OrcReg.PREV_SP, bpOffset: -16, type: OrcType.CALL, signal: false })
    expect(decodeOrcFlags('v4.14', 0x0105, 0, 0)).toMatchObject({ type: OrcType.REGS, signal: true })
    expect(decodeOrcFlags('v4.14', 0x0205, 8, 0)).toMatchObject({ type: OrcType.REGS_PARTIAL, signal: true })
    expect(decodeOrcFlags('v4.14', 0x0000, 0, 0)).toMatchObject({ type: OrcType.UNDEFINED })
    expect(decodeOrcFlags('v4.14', 0x0400, 0, 0)).toMatchObject({ type: OrcType.END_OF_STACK })
  })

  it('v6.3: signal at 10, end at 11', () => {
    expect(decodeOrcFlags('v6.3', 0x0405, 8, 0)).toMatchObject({ type: OrcType.CALL, signal: true })
    expect(decodeOrcFlags('v6.3', 0x0105, 0, 0)).toMatchObject({ type: OrcType.REGS, signal: false })
    expect(decodeOrcFlags('v6.3', 0x0800, 0, 0)).toMatchObject({ type: OrcType.END_OF_STACK })
    expect(decodeOrcFlags('v6.3', 0x0400, 0, 0)).toMatchObject({ type: OrcType.UNDEFINED, signal: true })
  })

  it('v6.4: 3-bit type at 8, signal at 11', () => {
    expect(decodeOrcFlags('v6.4', 0x0205, 8, 0)).toMatchObject({ spReg: OrcReg.SP, type: OrcType.CALL, signal: false })
    expect(decodeOrcFlags('v6.4', 0x0c05, 8, 0)).toMatchObject({ type: OrcType.REGS_PARTIAL, signal: true })
    expect(decodeOrcFlags('v6.4', 0x0100, 0, 0)).toMatchObject({ type: OrcType.END_OF_STACK })
  })

  it('v7.1: renumbered registers (SP 3, PREV_SP 8, AX 1)', () => {
    expect(decodeOrcFlags('v7.1', 0x0283, 16, -16)).toMatchObject({ spReg: OrcReg.SP, bpReg: OrcReg.PREV_SP, type: OrcType.CALL })
    expect(decodeOrcFlags('v7.1', 0x0241, 8, 0)).toMatchObject({ spReg: OrcReg.AX, bpReg: OrcReg.BP })
    expect(decodeOrcFlags('v7.1', 0x020a, 8, 0)).toMatchObject({ spReg: OrcReg.BP_INDIRECT })
  })

  it('terminator test per layout', () => {
    expect(isTerminatorFlags('v4.14', 0x0000)).toBe(true)
    expect(isTerminatorFlags('v4.14', 0x0400)).toBe(false)
    expect(isTerminatorFlags('v6.3', 0x0400)).toBe(true) // signal bit alone still a terminator
    expect(isTerminatorFlags('v6.4', 0x0000)).toBe(true)
    expect(isTerminatorFlags('v6.4', 0x0100)).toBe(false)
  })
})

/**
 * A minimal ET_EXEC image: .text at 0xffffffff81000000, .orc_unwind_ip at `ipAddr`,
 * .orc_unwind, optional .orc_header and a .rodata banner.
 */
function linkedImage(ips: number[], words: [number, number, number][], opts: { header?: Uint8Array; banner?: string } = {}): Uint8Array {
  const ipAddr = -0x7e000000 // 0xffffffff82000000
  const ipData = new Uint8Array(ips.length * 4)
  const iv = new DataView(ipData.buffer)
  ips.forEach((ip, i) => iv.setInt32(i * 4, ip - (ipAddr + 4 * i), true))
  const orcData = new Uint8Array(words.length * 6)
  const ov = new DataView(orcData.buffer)
  words.forEach(([sp, bp, f], i) => {
    ov.setInt16(i * 6, sp, true)
    ov.setInt16(i * 6 + 2, bp, true)
    ov.setUint16(i * 6 + 4, f, true)
  })
  const secs: { name: string; data: Uint8Array; addr: number }[] = [
    { name: '.orc_unwind_ip', data: ipData, addr: ipAddr },
    { name: '.orc_unwind', data: orcData, addr: ipAddr + ipData.length },
  ]
  if (opts.header) secs.push({ name: '.orc_header', data: opts.header, addr: ipAddr - 20 })
  if (opts.banner) secs.push({ name: '.rodata', data: new TextEncoder().encode(opts.banner + '\0'), addr: -0x7d000000 })
  const names = ['', ...secs.map((s) => s.name), '.shstrtab']
  const shstr = new TextEncoder().encode(names.join('\0') + '\0')
  const all = [...secs, { name: '.shstrtab', data: shstr, addr: 0 }]
  let off = 64
  const placed = all.map((s) => {
    const at = off
    off += (s.data.length + 7) & ~7
    return at
  })
  const shoff = off
  const out = new Uint8Array(shoff + 64 * (all.length + 1))
  const v = new DataView(out.buffer)
  out.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1])
  v.setUint16(16, 2, true) // ET_EXEC
  v.setUint16(18, 62, true) // EM_X86_64
  v.setBigUint64(40, BigInt(shoff), true)
  v.setUint16(58, 64, true)
  v.setUint16(60, all.length + 1, true)
  v.setUint16(62, all.length, true)
  let nameOff = 1
  all.forEach((s, k) => {
    out.set(s.data, placed[k]!)
    const h = shoff + 64 * (k + 1)
    v.setUint32(h, nameOff, true)
    nameOff += s.name.length + 1
    v.setUint32(h + 4, 1, true) // PROGBITS
    v.setBigInt64(h + 16, BigInt(s.addr), true)
    v.setBigUint64(h + 24, BigInt(placed[k]!), true)
    v.setBigUint64(h + 32, BigInt(s.data.length), true)
  })
  return out
}

const T = -0x7f000000 // 0xffffffff81000000

describe('linked images (vmlinux)', () => {
  it('self-relative ips, banner release, pre-6.3 dump with absolute addresses', () => {
    const img = linkedImage([T + 0x10, T, T + 0x20], [[8, 0, 0x0005], [16, -16, 0x0015], [0, 0, 0x0000]], {
      banner: 'Linux version 6.1.0-47-cloud-amd64 (debian-kernel@lists.debian.org) (gcc-12)',
    })
    const orc = readKernelOrc(ElfFile.parse(img, 'vmlinux'))
    expect([orc.format, orc.formatSource, orc.release]).toEqual(['v4.14', 'release', '6.1.0-47-cloud-amd64'])
    expect(Array.from(orc.ips)).toEqual([T + 0x10, T, T + 0x20])
    expect(formatKernelOrcDump(orc)).toBe(
      'ffffffff81000010: sp:sp+8 bp:(und) type:call end:0\n' +
        'ffffffff81000000: sp:sp+16 bp:prevsp-16 type:call end:0\n' +
        'ffffffff81000020: sp:(und) bp:(und) type:call end:0\n',
    )
    const table = buildVmlinuxOrcTable(orc)
    expect(Array.from(table.ips)).toEqual([T, T + 0x10, T + 0x20])
    expect(table.find(T + 0x15)).toBe(1)
    expect(table.type(2)).toBe(OrcType.UNDEFINED)
  })

  it('terminators sort first on equal addresses', () => {
    const img = linkedImage([T + 0x20, T + 0x20, T], [[8, 0, 0x0205], [0, 0, 0x0000], [8, 0, 0x0205]], { header: orcHeaderFor('v6.4')! })
    const table = buildVmlinuxOrcTable(readKernelOrc(ElfFile.parse(img, 'vmlinux')))
    expect(table.type(1)).toBe(OrcType.UNDEFINED)
    expect(table.find(T + 0x20)).toBe(2)
    expect(table.type(2)).toBe(OrcType.CALL)
  })

  it('7.1 header: renumbered registers in the dump; 6.3 header: signal+end dialect', () => {
    const a = readKernelOrc(ElfFile.parse(linkedImage([T], [[16, -16, 0x0283]], { header: orcHeaderFor('v7.1')! }), 'v71'))
    expect(formatKernelOrcDump(a)).toBe('ffffffff81000000:type:call sp:sp+16 bp:prevsp-16 signal:0\n')
    const b = readKernelOrc(ElfFile.parse(linkedImage([T], [[8, 0, 0x0e05]], { header: orcHeaderFor('v6.3')! }), 'v63'))
    expect(formatKernelOrcDump(b)).toBe('ffffffff81000000: sp:sp+8 bp:(und) type:regs (partial) signal:1 end:1\n')
  })

  it('old kernels print "iret" and "(sp+N)"', () => {
    const img = linkedImage([T], [[8, 0, 0x0209]], { banner: 'Linux version 4.19.0-27-amd64 (x)' })
    expect(formatKernelOrcDump(readKernelOrc(ElfFile.parse(img, 'v419')))).toBe('ffffffff81000000: sp:(sp+8) bp:(und) type:iret end:0\n')
  })

  it('forced format and caller release win; no ORC sections is an UnwindInfoError', () => {
    const img = linkedImage([T], [[8, 0, 0x0205]])
    expect(readKernelOrc(ElfFile.parse(img, 'x'), { release: '6.12.1' }).format).toBe('v6.4')
    expect(readKernelOrc(ElfFile.parse(img, 'x'), { format: 'v7.1' }).formatSource).toBe('forced')
    expect(readKernelOrc(ElfFile.parse(img, 'x')).formatSource).toBe('assumed')
    const bad = img.slice()
    // Rename ".orc_unwind_ip" in .shstrtab so the section is missing.
    const at = Buffer.from(bad).indexOf('.orc_unwind_ip')
    bad[at + 1] = 0x78
    expect(() => readKernelOrc(ElfFile.parse(bad, 'x'))).toThrow(UnwindInfoError)
  })

  it('a truncated .orc_header is an UnwindInfoError at its offset', () => {
    const img = linkedImage([T], [[8, 0, 0x0205]], { header: orcHeaderFor('v6.4')!.subarray(0, 12) })
    const elf = ElfFile.parse(img, 'x')
    expect(() => readKernelOrc(elf)).toThrow(/\.orc_header is 12 bytes.*at offset 0x[0-9a-f]+/)
  })
})
