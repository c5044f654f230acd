import { describe, expect, it } from 'vitest'
import { RoundSorter } from './round-sorter.js'

describe('RoundSorter', () => {
  // The example from the comment above perf_event__process_finished_round
  // (tools/perf/util/session.c): two CPUs, three passes.
  //   PASS n:    CPU0 1 2      | CPU1 2 3 4   (max 4)
  //   PASS n+1:  CPU0 3 4 5    | CPU1 5 6 7   (max 7)  -> flush every event <= 4
  //   PASS n+2:  CPU0 6 7      | CPU1 8 9 10           -> flush every event <= 7
  it('follows the kernel FINISHED_ROUND example', () => {
    const s = new RoundSorter<string>()
    const out: string[] = []
    const emit = (v: string): void => void out.push(v)
    const pass = (cpu0: number[], cpu1: number[], tag: string): void => {
      for (const t of cpu0) s.insert(t, `${t}${tag}0`)
      for (const t of cpu1) s.insert(t, `${t}${tag}1`)
    }
    pass([1, 2], [2, 3, 4], 'a')
    s.finishRound(emit)
    expect(out).toEqual([])
    pass([3, 4, 5], [5, 6, 7], 'b')
    s.finishRound(emit)
    expect(out).toEqual(['1a0', '2a0', '2a1', '3a1', '3b0', '4a1', '4b0'])
    out.length = 0
    pass([6, 7], [8, 9, 10], 'c')
    s.finishRound(emit)
    expect(out).toEqual(['5b0', '5b1', '6b1', '6c0', '7b1', '7c0'])
    out.length = 0
    s.finish(emit)
    expect(out).toEqual(['8c1', '9c1', '10c1'])
    expect(s.pending).toBe(0)
  })

  it('keeps arrival order for equal keys', () => {
    const s = new RoundSorter<number>()
    const out: number[] = []
    for (let i = 0; i < 100; i++) s.insert(i % 3, i)
    s.finish((v) => out.push(v))
    expect(out).toEqual([...out].sort((a, b) => (a % 3) - (b % 3) || a - b))
  })
})
