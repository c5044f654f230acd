import { describe, expect, it } from 'vitest'
import { buildCallTree, forEachNode, pathOf, type CallNode, type CallTree } from './call-tree.js'
import type { ResolvedSample } from './model.js'
import { HOSTILE_IMG, f, fixtureSamples } from './testdata/fixture-samples.js'

function find(tree: CallTree, path: string[]): CallNode | undefined {
  let node: CallNode | undefined = tree.root
  for (const name of path) {
    node = [...(node?.children.values() ?? [])].find((c) => tree.frames.get(c.frame).name === name)
  }
  return node
}

describe('call tree', () => {
  const tree = buildCallTree(fixtureSamples())

  it('weights by period: root total = all periods, self sums to total', () => {
    expect(tree.sampleCount).toBe(143)
    expect(tree.totalWeight).toBe(185_000)
    expect(tree.root.totalSamples).toBe(143)
    let selfSum = 0
    let selfSamples = 0
    forEachNode(tree.root, (n) => {
      selfSum += n.self
      selfSamples += n.selfSamples
      let kids = 0
      for (const c of n.children.values()) kids += c.total
      expect(n.total).toBe(n.self + kids)
    })
    expect(selfSum).toBe(185_000)
    expect(selfSamples).toBe(143)
  })

  it('builds root-first paths with self at the leaf', () => {
    const compute = find(tree, ['__libc_start_main', 'main', 'compute'])!
    expect(compute.total).toBe(60_000)
    expect(compute.self).toBe(0)
    const hot = find(tree, ['__libc_start_main', 'main', 'compute', 'hot_loop'])!
    expect(hot.self).toBe(40_000)
    expect(hot.selfSamples).toBe(40)
    expect(pathOf(hot).map((id) => tree.frames.get(id).name)).toEqual(['__libc_start_main', 'main', 'compute', 'hot_loop'])
    expect(find(tree, ['clone3', 'start_thread', 'worker', 'parse', HOSTILE_IMG])!.self).toBe(60_000)
  })

  it('keeps unreliable frames apart from reliable ones of the same symbol', () => {
    const reliable = tree.frames.frames.filter((fr) => fr.symbol === 'parse')
    expect(reliable.map((fr) => fr.name).sort()).toEqual(['? parse', 'parse'])
    expect(find(tree, ['? [unknown]', '? parse'])!.total).toBe(16_000)
  })

  it('splits weight per thread', () => {
    expect(tree.threads.map((t) => [t.pid, t.tid, t.comm, t.samples, t.weight])).toEqual([
      [100, 100, 'app', 70, 70_000],
      [100, 101, 'app-worker', 42, 84_000],
      [200, 201, 'java', 31, 31_000],
    ])
    const worker = find(tree, ['clone3', 'start_thread', 'worker'])!
    const byThread = Object.fromEntries([...worker.threads].map(([t, w]) => [tree.threads[t]!.comm, w.total]))
    expect(byThread).toEqual({ 'app-worker': 60_000, java: 31_000 })
  })

  it('weights by sample count and builds the reversed tree', () => {
    const counted = buildCallTree(fixtureSamples(), { weight: 'samples' })
    expect(counted.totalWeight).toBe(143)
    const rev = buildCallTree(fixtureSamples(), { reversed: true })
    expect(find(rev, ['hot_loop', 'compute', 'main', '__libc_start_main'])!.self).toBe(40_000)
    expect(find(rev, ['vfs_write'])!.total).toBe(10_000)
  })

  it('aggregates 100k samples with deep stacks into a bounded tree', () => {
    // Realistic shape: 3000 distinct stacks, 32-96 deep, sharing prefixes the way real call paths do.
    const pool = Array.from({ length: 500 }, (_, i) => f(`fn_${i}`))
    let seed = 12345
    const rand = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2147483648) % n)
    const stacks: ReturnType<typeof f>[][] = [Array.from({ length: 64 }, () => pool[rand(500)]!)]
    while (stacks.length < 3000) {
      const base = stacks[rand(stacks.length)]!
      const keep = rand(base.length)
      const depth = 32 + rand(64)
      stacks.push([...base.slice(0, keep), ...Array.from({ length: Math.max(1, depth - keep) }, () => pool[rand(500)]!)])
    }
    const samples: ResolvedSample[] = []
    for (let i = 0; i < 100_000; i++) {
      const frames = [...stacks[rand(stacks.length)]!].reverse()
      samples.push({ pid: 1, tid: 1 + (i % 8), comm: 'big', cpu: 0, time: i, period: 1, eventName: 'cycles', frames, rooted: true, stackTruncated: false, fakeRegs: false })
    }
    const big = buildCallTree(samples)
    expect(big.totalWeight).toBe(100_000)
    expect(big.frames.size).toBeLessThanOrEqual(500)
  })
})
