import { describe, expect, it } from 'vitest'
import { parseAddrHex } from '../parsers/common/addr.js'
import { dropDuplicatedFirstKernelEntry, isDuplicateFirstEntryKernel, PERF_CONTEXT_KERNEL, PERF_CONTEXT_USER } from './kernel-callchain.js'

const A = parseAddrHex('ffffffff812a3ce7') // e.g. bprm_execve+1767
const B = parseAddrHex('ffffffff812a4100')

describe('isDuplicateFirstEntryKernel', () => {
  it('5.2 .. 6.17 inclusive', () => {
    for (const r of ['5.2.0', '5.4.0-150-generic', '6.1.0-47-cloud-amd64', '6.17.3', '5.10']) expect(isDuplicateFirstEntryKernel(r), r).toBe(true)
    for (const r of ['5.1.21', '4.19.0-27-amd64', '6.18.0', '7.0.1', '', 'garbage', '10.2']) expect(isDuplicateFirstEntryKernel(r), r).toBe(false)
  })
})

describe('dropDuplicatedFirstKernelEntry', () => {
  it('drops the second copy of the first kernel entry in place', () => {
    const c = new Float64Array([PERF_CONTEXT_KERNEL, A, A, B, PERF_CONTEXT_USER, 0x401000])
    const n = dropDuplicatedFirstKernelEntry(c, '6.1.0-47-amd64')
    expect(n).toBe(5)
    expect(Array.from(c.subarray(0, n))).toEqual([PERF_CONTEXT_KERNEL, A, B, PERF_CONTEXT_USER, 0x401000])
  })
  it('leaves the chain alone when unaffected, not equal, hardware regs, or not kernel-first', () => {
    const mk = () => new Float64Array([PERF_CONTEXT_KERNEL, A, A, B])
    expect(dropDuplicatedFirstKernelEntry(mk(), '6.18.1')).toBe(4)
    expect(dropDuplicatedFirstKernelEntry(mk(), '6.1.0', 4, false)).toBe(4)
    expect(dropDuplicatedFirstKernelEntry(mk(), '6.1.0', 4, true)).toBe(3)
    expect(dropDuplicatedFirstKernelEntry(new Float64Array([PERF_CONTEXT_KERNEL, A, B, B]), '6.1.0')).toBe(4)
    expect(dropDuplicatedFirstKernelEntry(new Float64Array([PERF_CONTEXT_USER, 5, 5]), '6.1.0')).toBe(3)
    expect(dropDuplicatedFirstKernelEntry(new Float64Array([PERF_CONTEXT_KERNEL, A]), '6.1.0')).toBe(2)
  })
  it('honours a length shorter than the array', () => {
    const c = new Float64Array([PERF_CONTEXT_KERNEL, A, A, B, 99, 99])
    expect(dropDuplicatedFirstKernelEntry(c, '5.15.0', 4)).toBe(3)
    expect(Array.from(c.subarray(0, 3))).toEqual([PERF_CONTEXT_KERNEL, A, B])
    expect(c[4]).toBe(99)
  })
})
