import { describe, expect, it } from 'vitest'
import { AddressSpace, type Mapping } from './address-space.js'

const map = (start: number, end: number, filename: string, pgoff = 0): Mapping => ({ start, end, pgoff, filename, buildId: undefined, exec: true })

describe('AddressSpace', () => {
  it('finds the mapping holding an address, and nothing in the gaps', () => {
    const a = new AddressSpace()
    a.insert(map(0x1000, 0x2000, 'a'))
    a.insert(map(0x3000, 0x4000, 'b'))
    expect(a.find(0x1fff)?.filename).toBe('a')
    expect(a.find(0x2000)).toBeUndefined()
    expect(a.find(0x3000)?.filename).toBe('b')
  })

  it('lets a new mapping replace the part of an older one it overlaps (mmap MAP_FIXED, exec)', () => {
    const a = new AddressSpace()
    a.insert(map(0x1000, 0x5000, 'old', 0x100))
    a.insert(map(0x2000, 0x3000, 'new'))
    expect(a.all().map((m) => [m.filename, m.start, m.end, m.pgoff])).toEqual([
      ['old', 0x1000, 0x2000, 0x100],
      ['new', 0x2000, 0x3000, 0],
      ['old', 0x3000, 0x5000, 0x100 + 0x2000],
    ])
    expect(a.find(0x3800)?.pgoff).toBe(0x2100)
  })

  it('copies on fork: the child changes without touching the parent', () => {
    const parent = new AddressSpace()
    parent.insert(map(0x1000, 0x2000, 'lib'))
    const child = new AddressSpace(parent)
    child.insert(map(0x1000, 0x2000, 'exec'))
    expect(parent.find(0x1800)?.filename).toBe('lib')
    expect(child.find(0x1800)?.filename).toBe('exec')
  })
})
