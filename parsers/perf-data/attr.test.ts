import { describe, expect, it } from 'vitest'
import { PerfDataError } from '../common/errors.js'
import { parseEventAttr } from './attr.js'

/** A VER8 attr with every field set to a recognisable value. */
function fullAttr(size: number): DataView {
  const v = new DataView(new ArrayBuffer(Math.max(size, 136)))
  v.setUint32(0, 1, true)
  v.setUint32(4, size, true)
  v.setBigUint64(8, 3n, true)
  v.setBigUint64(16, 4000n, true)
  v.setBigUint64(24, 0x3027n, true)
  v.setBigUint64(40, (1n << 18n) | (1n << 10n) | (2n << 15n), true)
  v.setBigUint64(64, 0x64n, true) // config2, VER1
  v.setBigUint64(72, 0x20000n, true) // branch_sample_type, VER2
  v.setBigUint64(80, 0xff0fffn, true) // sample_regs_user, VER3
  v.setUint32(88, 8192, true)
  v.setBigUint64(96, 0x3n, true) // sample_regs_intr, VER4
  v.setUint32(104, 7, true) // aux_watermark, VER5
  v.setUint32(112, 9, true) // aux_sample_size, VER6
  v.setBigUint64(120, 11n, true) // sig_data, VER7
  v.setBigUint64(128, 13n, true) // config3, VER8
  return v
}

describe('parseEventAttr', () => {
  const sizes = [64, 72, 80, 96, 104, 112, 120, 128, 136, 160]
  for (const size of sizes) {
    it(`reads a ${size}-byte attr and zeroes fields it lacks`, () => {
      const a = parseEventAttr(fullAttr(size), 0, Math.max(size, 136), 0)
      expect(a.size).toBe(size)
      expect(a.sampleType).toBe(0x3027)
      expect(a.sampleIdAll).toBe(true)
      expect(a.freq).toBe(true)
      expect(a.preciseIp).toBe(2)
      expect(a.config2).toBe(size >= 72 ? 0x64n : 0n)
      expect(a.branchSampleType).toBe(size >= 80 ? 0x20000 : 0)
      expect(a.sampleRegsUser).toBe(size >= 96 ? 0xff0fffn : 0n)
      expect(a.sampleStackUser).toBe(size >= 96 ? 8192 : 0)
      expect(a.sampleRegsIntr).toBe(size >= 104 ? 3n : 0n)
      expect(a.auxWatermark).toBe(size >= 112 ? 7 : 0)
      expect(a.auxSampleSize).toBe(size >= 120 ? 9 : 0)
      expect(a.sigData).toBe(size >= 128 ? 11n : 0n)
      expect(a.config3).toBe(size >= 136 ? 13n : 0n)
    })
  }

  it('treats size 0 as 64 (ABI0)', () => {
    expect(parseEventAttr(fullAttr(0), 0, 136, 0).size).toBe(64)
  })

  it('rejects an attr larger than its container, naming the offset', () => {
    expect(() => parseEventAttr(fullAttr(128), 0, 100, 0x40)).toThrow(PerfDataError)
    expect(() => parseEventAttr(fullAttr(128), 0, 100, 0x40)).toThrow(/offset 0x40/)
  })
})
