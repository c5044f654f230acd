import { describe, expect, it } from 'vitest'
import { makeSampleFilter, parseTimeRange } from './filter.js'
import { UsageError } from '../parsers/common/errors.js'
import { fixtureSamples } from './testdata/fixture-samples.js'

describe('sample filter', () => {
  const all = fixtureSamples()
  const count = (opts: Parameters<typeof makeSampleFilter>[0]) => all.filter(makeSampleFilter(opts)).length

  it('filters by comm, pid, tid and event', () => {
    expect(count({})).toBe(143)
    expect(count({ comms: ['java'] })).toBe(31)
    expect(count({ pids: [100] })).toBe(112)
    expect(count({ tids: [101, 201] })).toBe(73)
    expect(count({ pids: [100], comms: ['app'] })).toBe(70)
    expect(count({ event: 'cycles' })).toBe(143)
    expect(count({ event: 'instructions' })).toBe(0)
  })

  it('parses perf --time ranges in seconds', () => {
    expect(parseTimeRange('1000.5,1001')).toEqual({ startNs: 1_000_500_000_000, stopNs: 1_001_000_000_000 })
    expect(parseTimeRange(',2').startNs).toBe(0)
    expect(parseTimeRange('3,').stopNs).toBe(Number.POSITIVE_INFINITY)
    expect(count({ time: '1000.0,1000.01' })).toBe(all.filter((s) => s.time <= 1_000_010_000_000).length)
    expect(() => parseTimeRange('abc')).toThrow(UsageError)
    expect(() => parseTimeRange('5,x')).toThrow(UsageError)
    expect(() => parseTimeRange('5,1')).toThrow(/before start/)
  })
})
