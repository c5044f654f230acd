import { describe, expect, it } from 'vitest'
import { FrameBuffer, WalkStatus } from './frame-buffer.js'
import { unwindFramePointer } from './fp-unwinder.js'
import { UnwindRegs } from './regs.js'
import { StackImage } from './testdata/synthetic-stack.js'

const S = 0x7ffd00000000
const frames = (out: FrameBuffer) => Array.from(out.addrs.subarray(0, out.length))
const regs = (bp: number) => new UnwindRegs().set3(0x1010, S, bp)

/** Frame records { next_frame, return_address } at S+0x20, S+0x40, S+0x80; the last has rbp 0. */
function chain(): StackImage {
  return new StackImage(S, 0x100)
    .putAll(S + 0x20, [S + 0x40, 0x2010])
    .putAll(S + 0x40, [S + 0x80, 0x3010])
    .putAll(S + 0x80, [0, 0x4010])
}

describe('unwindFramePointer (perf_callchain_user)', () => {
  it('emits regs.ip then each return address; a 0 frame pointer roots the chain', () => {
    const out = new FrameBuffer()
    expect(unwindFramePointer(regs(S + 0x20), chain().memory(), out)).toBe(WalkStatus.END_OF_STACK)
    expect(frames(out)).toEqual([0x1010, 0x2010, 0x3010, 0x4010])
    expect(Array.from(out.sps.subarray(0, 4))).toEqual([S, S + 0x30, S + 0x50, S + 0x90])
    expect(out.rooted).toBe(true)
  })
  it('bp = 0 at the start: just regs.ip, rooted', () => {
    const out = new FrameBuffer()
    expect(unwindFramePointer(regs(0), chain().memory(), out)).toBe(WalkStatus.END_OF_STACK)
    expect(frames(out)).toEqual([0x1010])
  })
  it('a cycle (next_frame pointing back) stops with WRONG_DIRECTION', () => {
    const st = chain().putAll(S + 0x40, [S + 0x20, 0x3010])
    const out = new FrameBuffer()
    expect(unwindFramePointer(regs(S + 0x20), st.memory(), out)).toBe(WalkStatus.WRONG_DIRECTION)
    expect(frames(out)).toEqual([0x1010, 0x2010, 0x3010])
    const self = chain().putAll(S + 0x20, [S + 0x20, 0x2010])
    expect(unwindFramePointer(regs(S + 0x20), self.memory(), out)).toBe(WalkStatus.WRONG_DIRECTION)
  })
  it('a frame pointer below sp is rejected', () => {
    const out = new FrameBuffer()
    expect(unwindFramePointer(regs(S - 0x10), chain().memory(), out)).toBe(WalkStatus.WRONG_DIRECTION)
  })
  it('a misaligned frame pointer => BAD_READ', () => {
    const out = new FrameBuffer()
    expect(unwindFramePointer(regs(S + 0x21), chain().memory(), out)).toBe(WalkStatus.BAD_READ)
    expect(frames(out)).toEqual([0x1010])
  })
  it('a frame pointer past the copy => TRUNCATED (clipped copy) / BAD_READ (copy reached the top)', () => {
    const out = new FrameBuffer()
    expect(unwindFramePointer(regs(S + 0x20), chain().memory({ dynSize: 0x50 }), out)).toBe(WalkStatus.TRUNCATED)
    expect(frames(out)).toEqual([0x1010, 0x2010, 0x3010])
    expect(out.badAddr).toBe(S + 0x80)
    expect(unwindFramePointer(regs(S + 0x20), chain().memory({ dynSize: 0x50, clipped: false }), out)).toBe(WalkStatus.BAD_READ)
    expect(unwindFramePointer(regs(S + 0x20), chain().memory({ dynSize: 0 }), out)).toBe(WalkStatus.TRUNCATED)
    expect(frames(out)).toEqual([0x1010])
  })
  it('a zero return address ends the walk', () => {
    const out = new FrameBuffer()
    expect(unwindFramePointer(regs(S + 0x20), chain().putAll(S + 0x40, [S + 0x80, 0]).memory(), out)).toBe(WalkStatus.ZERO_RA)
    expect(frames(out)).toEqual([0x1010, 0x2010])
  })
  it('depth limit', () => {
    const st = new StackImage(S, 16 * 300)
    for (let i = 0; i < 299; i++) st.putAll(S + 16 * i, [S + 16 * (i + 1), 0x2000 + i])
    const out = new FrameBuffer()
    expect(unwindFramePointer(regs(S), st.memory(), out)).toBe(WalkStatus.DEPTH_LIMIT)
    expect(out.length).toBe(256)
    expect(unwindFramePointer(regs(S), st.memory(), out, 5)).toBe(WalkStatus.DEPTH_LIMIT)
    expect(frames(out)).toEqual([0x1010, 0x2000, 0x2001, 0x2002, 0x2003])
  })
})
