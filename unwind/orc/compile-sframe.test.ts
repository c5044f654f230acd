/**
 * SFrame → ORC, checked against the .eh_frame-derived table of the same binary (gcc -Wa,--gsframe,
 * binutils 2.40 → SFrame v1), and on v2 / PCREL variants re-encoded from it.
 */
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { UnwindInfoError } from '../../parsers/common/errors.js'
import { buildTinyPrograms } from '../../parsers/dwarf-cfi/test-programs.test-util.js'
import { ElfFile } from '../../parsers/elf/elf-file.js'
import { parseSframe, SFRAME_F_FDE_FUNC_START_PCREL } from '../../parsers/sframe/sframe.js'
import { compileBinaryTable } from './binary-tables.js'
import { newCompileStats } from './compile-cfi.js'
import { compileSframe } from './compile-sframe.js'
import { formatOrcDumpLine } from './dump.js'
import { OrcType } from './entry.js'
import type { OrcTable } from './table.js'

const line = (t: OrcTable, pc: number): string => formatOrcDumpLine(pc.toString(16), t.entry(t.find(pc)))

function sframeOf(path: string) {
  const elf = ElfFile.parse(readFileSync(path), path)
  const sec = elf.section('.sframe')!
  return { elf, sec, bytes: Uint8Array.from(elf.sectionData(sec)) }
}

/** Re-encode a v1 section as v2 (20-byte FDEs with rep_size), optionally with PCREL start addresses. */
function toV2(v1: Uint8Array, pcrel: boolean): Uint8Array {
  const v = new DataView(v1.buffer, v1.byteOffset, v1.byteLength)
  const n = v.getUint32(8, true)
  const hdrEnd = 28 + v1[7]!
  const fdesAt = hdrEnd + v.getUint32(20, true)
  const fresAt = hdrEnd + v.getUint32(24, true)
  const freLen = v.getUint32(16, true)
  const out = new Uint8Array(hdrEnd + n * 20 + freLen)
  const o = new DataView(out.buffer)
  out.set(v1.subarray(0, hdrEnd))
  out[2] = 2
  if (pcrel) out[3]! |= SFRAME_F_FDE_FUNC_START_PCREL
  o.setUint32(20, 0, true)
  o.setUint32(24, n * 20, true)
  for (let i = 0; i < n; i++) {
    const p = fdesAt + i * 17
    const q = hdrEnd + i * 20
    out.set(v1.subarray(p, p + 17), q)
    const start = v.getInt32(p, true)
    o.setInt32(q, pcrel ? start - q : start, true)
    out[q + 17] = (v1[p + 16]! >> 4) & 1 ? 16 : 0
  }
  out.set(v1.subarray(fresAt, fresAt + freLen), hdrEnd + n * 20)
  return out
}

describe('SFrame table agrees with the .eh_frame table', () => {
  const path = buildTinyPrograms().sframe
  const { elf, sec, bytes } = sframeOf(path)
  const eh = compileBinaryTable(elf).table
  const stats = newCompileStats()
  const sf = compileSframe(parseSframe(bytes, sec.addr), stats)

  it('on CFA and rbp at every SFrame row, and at every .eh_frame row SFrame covers', () => {
    let compared = 0
    const bad: string[] = []
    const check = (pc: number) => {
      if (sf.type(sf.find(pc)) === OrcType.UNDEFINED) return
      compared++
      if (line(sf, pc) !== line(eh, pc)) bad.push(`sframe ${line(sf, pc)} / eh_frame ${line(eh, pc)}`)
    }
    for (let i = 0; i < sf.length; i++) check(sf.ips[i]!)
    for (let i = 0; i < eh.length; i++) check(eh.ips[i]!)
    expect(bad).toEqual([])
    expect(compared).toBeGreaterThan(20)
    expect(stats.sframeFdes).toBeGreaterThanOrEqual(4)
    expect(stats.sframeBadFres).toBe(0)
  })

  it('PLT (a PCMASK FDE) repeats per 16-byte slot', () => {
    const plt = elf.section('.plt')!
    for (let slot = plt.addr + 16; slot < plt.addr + plt.size; slot += 16) {
      expect(sf.spOffset[sf.find(slot)]).toBe(8)
      expect(sf.spOffset[sf.find(slot + 11)]).toBe(16)
    }
  })

  it('reads the same table from v2 and v2+PCREL encodings of the section', () => {
    for (const pcrel of [false, true]) {
      const t = compileSframe(parseSframe(toV2(bytes, pcrel), sec.addr), newCompileStats())
      expect(Array.from(t.ips)).toEqual(Array.from(sf.ips))
      expect(Array.from(t.spOffset)).toEqual(Array.from(sf.spOffset))
      expect(Array.from(t.regs)).toEqual(Array.from(sf.regs))
    }
  })

  it('is used by compileBinaryTable only when there is no CFI', () => {
    expect(compileBinaryTable(elf).sources).toEqual(['eh_frame'])
  })
})

describe('corrupt SFrame', () => {
  const { sec, bytes } = sframeOf(buildTinyPrograms().sframe)
  it('throws UnwindInfoError for an unreadable header', () => {
    expect(() => parseSframe(bytes.subarray(0, 10), 0)).toThrow(UnwindInfoError)
    const badMagic = Uint8Array.from(bytes)
    badMagic[0] = 0
    expect(() => parseSframe(badMagic, 0)).toThrow(/magic/)
    const tooMany = Uint8Array.from(bytes)
    new DataView(tooMany.buffer).setUint32(8, 1e6, true)
    expect(() => parseSframe(tooMany, 0)).toThrow(/FDEs/)
  })

  it('counts malformed FREs and never throws past the header', () => {
    let seed = 7
    const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 8) / (1 << 24)
    for (let round = 0; round < 300; round++) {
      const b = Uint8Array.from(bytes)
      for (let k = 0; k < 3; k++) b[28 + Math.floor(rand() * (b.length - 28))] = Math.floor(rand() * 256)
      try {
        compileSframe(parseSframe(b, sec.addr), newCompileStats())
      } catch (e) {
        expect(e).toBeInstanceOf(UnwindInfoError)
      }
    }
  })
})
