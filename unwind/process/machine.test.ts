import { describe, expect, it } from 'vitest'
import { Machine } from './machine.js'

describe('Machine threads', () => {
  it('knows the idle task as perf does (swapper), and other unannounced threads as :tid', () => {
    const m = new Machine()
    expect(m.thread(0, 0).comm).toBe('swapper')
    expect(m.thread(4242, 4242).comm).toBe(':4242')
  })
})
