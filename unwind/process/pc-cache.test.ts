import { describe, expect, it } from 'vitest'
import { AddressSpace } from './address-space.js'
import { PcCache } from './pc-cache.js'

const map = (start: number, end: number, filename: string) => ({ start, end, pgoff: 0, filename, buildId: undefined, exec: true })

describe('PcCache', () => {
  it('answers only for the same tag, generation and address', () => {
    const c = new PcCache<string>(4)
    c.set(7, 1, 0x7f0012345678, 'a')
    expect(c.get(7, 1, 0x7f0012345678)).toBe('a')
    expect(c.get(8, 1, 0x7f0012345678)).toBeUndefined()
    expect(c.get(7, 2, 0x7f0012345678)).toBeUndefined()
    expect(c.get(7, 1, 0x7f0012345679)).toBeUndefined()
    // Addresses 2^32 apart share their low word (and so a slot): still told apart.
    expect(c.get(7, 1, 0x7f0012345678 + 2 ** 32)).toBeUndefined()
  })

  it('keeps one entry per slot: a colliding address evicts, it never answers for another', () => {
    const c = new PcCache<number>(1)
    const addrs = [0x1000, 0x2000, 0x3000, 0x4000, 0x5000]
    for (const a of addrs) c.set(0, 1, a, a)
    let hits = 0
    for (const a of addrs) {
      const v = c.get(0, 1, a)
      if (v !== undefined) {
        expect(v).toBe(a)
        hits++
      }
    }
    expect(hits).toBeGreaterThan(0)
    expect(hits).toBeLessThanOrEqual(2)
  })

  it('kernel addresses (negative) and pid -1 tags work like any other', () => {
    const c = new PcCache<string>()
    c.set(-1, 3, -0x7e000000, 'k')
    expect(c.get(-1, 3, -0x7e000000)).toBe('k')
    expect(c.get(-1, 3, 0x7e000000)).toBeUndefined()
  })
})

describe('AddressSpace.generation', () => {
  it('changes with every mmap and differs between spaces, so cached answers cannot outlive a mapping', () => {
    const a = new AddressSpace()
    const b = new AddressSpace()
    expect(a.generation).not.toBe(b.generation)
    const g0 = a.generation
    a.insert(map(0x1000, 0x2000, 'x'))
    const g1 = a.generation
    expect(g1).not.toBe(g0)
    a.insert(map(0x1800, 0x1900, 'y'))
    expect(a.generation).not.toBe(g1)
    // A forked copy starts a generation of its own (a reused pid never meets old entries).
    expect(new AddressSpace(a).generation).not.toBe(a.generation)
  })
})
