/**
 * The data a flamegraph page embeds: call trees in a compact nested form, one shared frame table as
 * columns, and the thread list for the process/thread selector. Children are sorted by name, as
 * flamegraph.pl does, so the same profile always draws the same picture.
 */
import { forEachNode, type CallNode, type CallTree } from './call-tree.js'
import { FRAME_KINDS, RELIABILITIES, type FrameTable } from './frame-table.js'
import { dsoShortName, reliabilityReason } from './frame-label.js'

/** Per-thread split of a node, flattened: [thread, weight, samples, marked] repeated. */
export const THREAD_STRIDE = 4

export interface PayloadNode {
  /** Frame id; -1 for the root. */
  f: number
  /** Inclusive weight. */
  v: number
  /** Inclusive sample count. */
  s: number
  /** Marked weight (differential: samples through this node whose FP walk lost it). */
  m: number
  t: number[]
  c?: PayloadNode[]
}

export interface PayloadView {
  label: string
  root: PayloadNode
}

export interface FlamegraphPayload {
  title: string
  /** Context lines for the header: [label, value]. */
  context: Array<[string, string]>
  /** Name of the width unit shown in tooltips ("period" or "samples"). */
  unit: string
  colorMode: 'kind' | 'deficit'
  /** Tooltip wording for the marked weight in deficit mode. */
  markedLabel: string
  minFrameSize: number
  rootName: string
  kinds: readonly string[]
  reasons: string[]
  frames: { names: string[]; dsos: string[]; kinds: number[]; rel: number[] }
  threads: Array<{ pid: number; tid: number; comm: string; samples: number; weight: number }>
  views: PayloadView[]
}

export function frameColumns(table: FrameTable): FlamegraphPayload['frames'] {
  const cols: FlamegraphPayload['frames'] = { names: [], dsos: [], kinds: [], rel: [] }
  for (const fr of table.frames) {
    cols.names.push(fr.name)
    cols.dsos.push(dsoShortName(fr.dso))
    cols.kinds.push(FRAME_KINDS.indexOf(fr.kind))
    cols.rel.push(RELIABILITIES.indexOf(fr.reliability))
  }
  return cols
}

export function reliabilityReasons(): string[] {
  return RELIABILITIES.map(reliabilityReason)
}

/** Convert a call tree to nested payload nodes (iteratively: stacks can be thousands deep). */
export function payloadTree(tree: CallTree): PayloadNode {
  const names = tree.frames.frames
  const out = new Map<CallNode, PayloadNode>()
  const order: CallNode[] = []
  forEachNode(tree.root, (node) => {
    order.push(node)
    out.set(node, toPayloadNode(node))
  })
  for (const node of order) {
    if (node.children.size === 0) continue
    const kids = [...node.children.values()]
    kids.sort((a, b) => compareNames(names[a.frame]!.name, names[b.frame]!.name) || a.frame - b.frame)
    out.get(node)!.c = kids.map((k) => out.get(k)!)
  }
  return out.get(tree.root)!
}

function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

function toPayloadNode(node: CallNode): PayloadNode {
  const t: number[] = []
  for (const [thread, w] of node.threads) t.push(thread, w.total, w.samples, w.marked)
  return { f: node.frame, v: node.total, s: node.totalSamples, m: node.marked, t }
}

export interface PayloadOptions {
  title: string
  context: Array<[string, string]>
  colorMode?: 'kind' | 'deficit'
  markedLabel?: string
  minFrameSize?: number
  rootName?: string
}

/** A payload from trees that share one frame table and one thread list (the first tree's). */
export function buildPayload(views: Array<{ label: string; tree: CallTree }>, opts: PayloadOptions): FlamegraphPayload {
  const first = views[0]
  if (first === undefined) throw new RangeError('buildPayload needs at least one view')
  return {
    title: opts.title,
    context: opts.context,
    unit: first.tree.weight,
    colorMode: opts.colorMode ?? 'kind',
    markedLabel: opts.markedLabel ?? '',
    minFrameSize: opts.minFrameSize ?? 3,
    rootName: opts.rootName ?? 'all',
    kinds: FRAME_KINDS,
    reasons: reliabilityReasons(),
    frames: frameColumns(first.tree.frames),
    threads: first.tree.threads.map((t) => ({ ...t })),
    views: views.map((v) => ({ label: v.label, root: payloadTree(v.tree) })),
  }
}
