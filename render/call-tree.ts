/**
 * The one profile model every aggregated output is drawn from: samples merged into a call tree (root
 * first), each node one interned frame, with self/total weight, sample counts and a per-thread split
 * so the HTML can filter by process or thread without a second tree.
 *
 * Inner loop cost per frame: one FrameTable.intern (two Map lookups on strings the frame already holds)
 * and one Map<number, CallNode> lookup. No strings are built per frame.
 */
import type { ResolvedSample } from './model.js'
import { FrameTable, type FrameKey } from './frame-table.js'

/** Width by sampling period (what perf report shows) or by number of samples. */
export type WeightMode = 'period' | 'samples'

/** Totals of one thread through one node. Self is total minus the children's totals. */
export interface ThreadWeight {
  total: number
  samples: number
  marked: number
}

export interface ThreadInfo {
  pid: number
  tid: number
  /** First command name seen for this thread. */
  comm: string
  samples: number
  weight: number
}

export interface ThreadRef {
  pid: number
  tid: number
  comm: string
}

const NO_CHILDREN: ReadonlyMap<number, CallNode> = new Map()
const NO_THREADS: ReadonlyMap<number, ThreadWeight> = new Map()
/** Past this many threads in one node (system-wide profiles, near the root) index them with a Map. */
const LINEAR_THREADS = 8

/**
 * One call-tree node. Most nodes are leaves seen by one thread, so the children map and the
 * per-thread map are created only when needed (a 100k-sample profile can have a million nodes).
 */
export class CallNode {
  self = 0
  total = 0
  selfSamples = 0
  totalSamples = 0
  /** Weight through this node that the caller flagged (compare: the FP walk lost this frame). */
  marked = 0
  private kids: Map<number, CallNode> | undefined
  /**
   * Per-thread tallies, flat: [thread, total, samples, marked] repeated. A node is seen by few
   * threads, and a linear scan of a short number array beats a Map lookup in the per-frame loop.
   */
  private perThread: number[] | undefined
  /** thread → offset into perThread, once the node has more than LINEAR_THREADS threads. */
  private threadAt: Map<number, number> | undefined

  constructor(
    /** Frame id in CallTree.frames; -1 for the root. */
    readonly frame: number,
    readonly parent: CallNode | undefined,
  ) {}

  get children(): ReadonlyMap<number, CallNode> {
    return this.kids ?? NO_CHILDREN
  }

  /** Thread index (into CallTree.threads) → that thread's share of this node. */
  get threads(): ReadonlyMap<number, ThreadWeight> {
    const t = this.perThread
    if (t === undefined) return NO_THREADS
    const out = new Map<number, ThreadWeight>()
    for (let i = 0; i < t.length; i += 4) out.set(t[i]!, { total: t[i + 1]!, samples: t[i + 2]!, marked: t[i + 3]! })
    return out
  }

  child(frame: number): CallNode {
    if (this.kids === undefined) this.kids = new Map()
    let c = this.kids.get(frame)
    if (c === undefined) {
      c = new CallNode(frame, this)
      this.kids.set(frame, c)
    }
    return c
  }

  addThread(thread: number, weight: number, marked: number): void {
    const t = this.perThread
    if (t === undefined) {
      this.perThread = [thread, weight, 1, marked]
      return
    }
    const at = this.findThread(t, thread)
    if (at >= 0) {
      t[at + 1]! += weight
      t[at + 2]! += 1
      t[at + 3]! += marked
      return
    }
    this.threadAt?.set(thread, t.length)
    t.push(thread, weight, 1, marked)
    if (this.threadAt === undefined && t.length > 4 * LINEAR_THREADS) {
      this.threadAt = new Map()
      for (let i = 0; i < t.length; i += 4) this.threadAt.set(t[i]!, i)
    }
  }

  private findThread(t: number[], thread: number): number {
    if (this.threadAt !== undefined) return this.threadAt.get(thread) ?? -1
    for (let i = 0; i < t.length; i += 4) if (t[i] === thread) return i
    return -1
  }
}

export interface CallTree {
  readonly frames: FrameTable
  readonly root: CallNode
  readonly threads: ThreadInfo[]
  readonly weight: WeightMode
  /** True when paths run leaf → root (callers above their callees: "reverse"/bottom-up view). */
  readonly reversed: boolean
  readonly sampleCount: number
  readonly totalWeight: number
}

export interface CallTreeOptions {
  weight?: WeightMode
  /** Build leaf-first paths (bottom-up, flamegraph.pl --reverse) instead of root-first. */
  reversed?: boolean
  /** Put the command name above the outermost frame, as stackcollapse-perf.pl does. */
  commAsRoot?: boolean
  /** Share a frame table with other trees (so ids agree between them). */
  frames?: FrameTable
}

/** dso of the pseudo-frame that carries the command name when commAsRoot is set. */
export const COMM_DSO = '[comm]'

export class CallTreeBuilder {
  readonly frames: FrameTable
  readonly root = new CallNode(-1, undefined)
  private readonly threads: ThreadInfo[] = []
  private readonly threadIndex = new Map<number, Map<number, number>>()
  private readonly weight: WeightMode
  private readonly reversed: boolean
  private readonly commAsRoot: boolean
  private samples = 0

  constructor(opts: CallTreeOptions = {}) {
    this.weight = opts.weight ?? 'period'
    this.reversed = opts.reversed ?? false
    this.commAsRoot = opts.commAsRoot ?? false
    this.frames = opts.frames ?? new FrameTable()
  }

  addSample(s: ResolvedSample): void {
    this.addStack(s.frames, s, s.period)
  }

  /**
   * Add one stack (leaf first). Frames at leaf-first index >= markFrom count as "marked" in every
   * node they pass through (compare.ts uses it for "the FP walk did not reach this frame").
   */
  addStack(frames: readonly FrameKey[], thread: ThreadRef, period: number, markFrom = Infinity): void {
    const w = this.weight === 'samples' ? 1 : period
    const t = this.threadOf(thread, w)
    this.samples++
    let node = this.root
    this.touch(node, t, w, frames.length > 0 && markFrom < frames.length ? w : 0)
    if (this.commAsRoot) {
      node = node.child(this.frames.intern(commFrame(thread.comm)))
      this.touch(node, t, w, 0)
    }
    const n = frames.length
    for (let step = 0; step < n; step++) {
      const i = this.reversed ? step : n - 1 - step
      node = node.child(this.frames.intern(frames[i]!))
      this.touch(node, t, w, i >= markFrom ? w : 0)
    }
    node.self += w
    node.selfSamples += 1
  }

  finish(): CallTree {
    return {
      frames: this.frames,
      root: this.root,
      threads: this.threads,
      weight: this.weight,
      reversed: this.reversed,
      sampleCount: this.samples,
      totalWeight: this.root.total,
    }
  }

  private touch(node: CallNode, thread: number, w: number, marked: number): void {
    node.total += w
    node.totalSamples += 1
    node.marked += marked
    node.addThread(thread, w, marked)
  }

  private threadOf(ref: ThreadRef, w: number): number {
    let byTid = this.threadIndex.get(ref.pid)
    if (byTid === undefined) {
      byTid = new Map()
      this.threadIndex.set(ref.pid, byTid)
    }
    let idx = byTid.get(ref.tid)
    if (idx === undefined) {
      idx = this.threads.length
      this.threads.push({ pid: ref.pid, tid: ref.tid, comm: ref.comm, samples: 0, weight: 0 })
      byTid.set(ref.tid, idx)
    }
    const info = this.threads[idx]!
    info.samples++
    info.weight += w
    return idx
  }
}

function commFrame(comm: string): FrameKey {
  return { symbol: comm, dso: COMM_DSO, kind: 'unknown', reliability: 'reliable' }
}

/** Aggregate samples (already filtered by the CLI) into a call tree. */
export function buildCallTree(samples: Iterable<ResolvedSample>, opts: CallTreeOptions = {}): CallTree {
  const b = new CallTreeBuilder(opts)
  for (const s of samples) b.addSample(s)
  return b.finish()
}

/** Path of frame ids from the root's child down to `node` (root excluded). */
export function pathOf(node: CallNode): number[] {
  const path: number[] = []
  for (let n: CallNode | undefined = node; n !== undefined && n.frame >= 0; n = n.parent) path.push(n.frame)
  return path.reverse()
}

/** Depth-first visit, parents before children; iterative so 1000-deep stacks cannot overflow. */
export function forEachNode(root: CallNode, visit: (node: CallNode, depth: number) => void): void {
  const stack: Array<[CallNode, number]> = [[root, 0]]
  while (stack.length > 0) {
    const [node, depth] = stack.pop()!
    visit(node, depth)
    for (const c of node.children.values()) stack.push([c, depth + 1])
  }
}
