import { describe, expect, it } from 'vitest'
import { reportJson, reportText } from './report-text.js'
import { HOSTILE_IMG, fixtureMeta, fixtureSamples } from './testdata/fixture-samples.js'

describe('perf report-like output', () => {
  const json = reportJson(fixtureSamples(), fixtureMeta())

  it('counts the unwinding summary', () => {
    expect(json).toMatchObject({
      samples: 143,
      rootedSamples: 131,
      samplesWithUnreliableFrames: 14,
      fakeRegsSamples: 6,
      truncatedStackSamples: 4,
      lostSamples: 3,
      totalWeight: 185_000,
      events: ['cycles'],
    })
    expect(JSON.parse(JSON.stringify(json))).toEqual(json)
  })

  it('ranks symbols by self and by children (each symbol once per sample)', () => {
    const top = json.topSelf[0]!
    expect([top.symbol, top.comm, top.dso, top.selfWeight]).toEqual([HOSTILE_IMG, 'app-worker', 'app', 60_000])
    expect(top.selfPercent).toBeCloseTo(32.43, 2)
    expect(json.topChildren.slice(0, 2).map((r) => r.symbol).sort()).toEqual(['__libc_start_main', 'main'])
    expect(json.topChildren[0]!.childrenWeight).toBe(70_000)
    const deep = json.topChildren.find((r) => r.symbol === 'deep_recursion')!
    expect(deep.childrenWeight).toBe(8_000)
    expect(json.topSelf.find((r) => r.symbol === '? bpf_prog_123_trace')).toBeUndefined()
    expect(json.topChildren.find((r) => r.symbol === '? bpf_prog_123_trace')!.kind).toBe('kernel')
  })

  it('prints perf-style tables and the summary', () => {
    const text = reportText(fixtureSamples(), fixtureMeta(), { limit: 5, counts: { lostSamples: 7, unknownRecords: 2 } })
    const lines = text.split('\n')
    expect(lines).toContain("# Samples: 143  of event 'cycles'")
    expect(lines.some((l) => /^# Overhead +Command +Shared Object +Symbol$/.test(l))).toBe(true)
    expect(lines.some((l) => /^ +32\.43% +app-worker +app +\[\.\] <img src=x onerror=window\.__pwned=1>$/.test(l))).toBe(true)
    expect(lines.some((l) => /^# Children +Self +Command/.test(l))).toBe(true)
    expect(lines.some((l) => /^ +37\.84% +0\.00% +app +libc\.so\.6 +\[\.\] __libc_start_main$/.test(l))).toBe(true)
    expect(text).toContain('# Unwinding summary')
    expect(text).toMatch(/rooted \(stack reached the root\): +131 \(91\.61%\)/)
    expect(text).toMatch(/with unreliable frames \("\? "\): +14 /)
    expect(text).toMatch(/lost samples: +7/)
    expect(text).toMatch(/unknown records skipped: +2/)
    expect(text).not.toContain('# Hint:') // 4 of 143 copies cut short: no hint
  })

  it('suggests a larger stack copy when many copies were cut short', () => {
    const samples = fixtureSamples().map((s, i) => ({ ...s, stackTruncated: i % 5 === 0 }))
    const text = reportText(samples, fixtureMeta())
    expect(text).toMatch(/stack copy too short \(truncated\): +29 /)
    expect(text).toContain('--call-graph dwarf,SIZE')
    expect(text).toContain('up to 65528')
  })
})
