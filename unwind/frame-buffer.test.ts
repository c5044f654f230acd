import { describe, expect, it } from 'vitest'
import { FrameBuffer, Rel, RELIABILITY_NAMES, reliabilityName, WalkStatus } from './frame-buffer.js'

describe('FrameBuffer', () => {
  it('maps Rel values to render/model.ts names', () => {
    expect(RELIABILITY_NAMES[Rel.RELIABLE]).toBe('reliable')
    expect(RELIABILITY_NAMES[Rel.FP_GUESS]).toBe('fp-guess')
    expect(RELIABILITY_NAMES[Rel.BELOW_GUESS]).toBe('below-guess')
    expect(reliabilityName(Rel.KERNEL_BPF)).toBe('kernel-bpf')
  })
  it('push respects maxDepth; reset clears', () => {
    const b = new FrameBuffer(4)
    b.reset(2)
    expect(b.push(1, 0, 10)).toBe(true)
    expect(b.push(2, 0, 20)).toBe(true)
    expect(b.push(3, 0, 30)).toBe(false)
    expect(b.full).toBe(true)
    b.status = WalkStatus.END_OF_STACK
    b.reset()
    expect([b.length, b.status, b.maxDepth]).toEqual([0, WalkStatus.NONE, 4])
  })
})
