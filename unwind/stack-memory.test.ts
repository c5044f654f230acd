import { describe, expect, it } from 'vitest'
import { parseAddrHex } from '../parsers/common/addr.js'
import { MemStatus, StackMemory } from './stack-memory.js'
import { StackImage } from './testdata/synthetic-stack.js'

const S = 0x7ffd00000000

describe('StackMemory', () => {
  it('reads little-endian u64s as signed-interpretation Addrs', () => {
    const k = parseAddrHex('ffffffff81234567')
    const m = new StackImage(S, 32).put(S, 0x123456789abc).put(S + 8, k).put(S + 16, -1).memory()
    expect(m.read(S)).toBe(MemStatus.OK)
    expect(m.value).toBe(0x123456789abc)
    m.read(S + 8)
    expect(m.value).toBe(k)
    m.read(S + 16)
    expect(m.value).toBe(-1)
    expect(m.read(S + 24)).toBe(MemStatus.OK)
    expect(m.value).toBe(0)
  })
  it('bounds: below the copy = OUT_OF_RANGE, at/after the end = TRUNCATED (clipped) or OUT_OF_RANGE', () => {
    const img = new StackImage(S, 32)
    const m = img.memory()
    expect(m.read(S - 8)).toBe(MemStatus.OUT_OF_RANGE)
    expect(m.read(S + 25)).toBe(MemStatus.TRUNCATED) // straddles the end
    expect(m.read(S + 32)).toBe(MemStatus.TRUNCATED)
    expect(m.badAddr).toBe(S + 32)
    expect(img.memory({ clipped: false }).read(S + 32)).toBe(MemStatus.OUT_OF_RANGE)
    expect(m.read(Number.NaN)).toBe(MemStatus.OUT_OF_RANGE)
    expect(m.access(S, 32)).toBe(MemStatus.OK)
    expect(m.access(S, 33)).toBe(MemStatus.TRUNCATED)
  })
  it('honours dyn_size', () => {
    const m = new StackImage(S, 64).memory({ dynSize: 16 })
    expect(m.read(S + 8)).toBe(MemStatus.OK)
    expect(m.read(S + 16)).toBe(MemStatus.TRUNCATED)
    const z = new StackImage(S, 64).memory({ dynSize: 0 })
    expect(z.read(S)).toBe(MemStatus.TRUNCATED)
    expect(new StackMemory().read(S)).toBe(MemStatus.OUT_OF_RANGE)
  })
  it('switches between captured ranges (IRQ stack + task stack) and tracks the current one', () => {
    const KS = parseAddrHex('ffffc90000400000')
    const m = new StackMemory(2)
    new StackImage(KS + 0x10000, 0x100).put(KS + 0x10000, 1).addTo(m)
    new StackImage(KS, 0x100).put(KS + 0x80, 2).addTo(m)
    expect(m.cur).toBe(0)
    expect(m.read(KS + 0x80)).toBe(MemStatus.OK)
    expect(m.value).toBe(2)
    expect(m.cur).toBe(1)
    expect(m.read(KS + 0x10000)).toBe(MemStatus.OK)
    expect(m.value).toBe(1)
    expect(m.cur).toBe(0)
    expect(m.rangeOf(KS + 0xf8, 8)).toBe(1)
    expect(m.rangeOf(KS + 0xfc, 8)).toBe(-1)
    expect(m.addRange(new Uint8Array(8), 0)).toBe(false) // no free slot
    m.clear()
    expect(m.count).toBe(0)
    expect(m.read(KS + 0x80)).toBe(MemStatus.OUT_OF_RANGE)
  })
})
