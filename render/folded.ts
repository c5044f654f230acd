/**
 * Brendan Gregg's folded stacks, as stackcollapse-perf.pl writes them: `comm;root;…;leaf count`, one
 * line per distinct stack, sorted by stack text. Conventions kept from stackcollapse-perf.pl:
 * spaces in comm become '_', ';' in a name becomes ':', an unknown symbol is shown as [dso basename]
 * when the dso is known, and the count is the period (or 1 per sample with weight 'samples').
 * Unreliable frames keep their "? " prefix.
 */
import type { ResolvedSample } from './model.js'
import { COMM_DSO, CallTreeBuilder, forEachNode, pathOf, type CallNode, type WeightMode } from './call-tree.js'
import type { FrameInfo } from './frame-table.js'
import { UNKNOWN_SYMBOL, UNRELIABLE_PREFIX, dsoShortName } from './frame-label.js'

export interface FoldedOptions {
  weight?: WeightMode
  /** Append stackcollapse's palette hints: _[k] to kernel frames, _[j] to JIT frames. */
  annotate?: boolean
}

/** Folded-stack name of one frame. */
export function foldedFrameName(fr: FrameInfo, annotate = false): string {
  if (fr.dso === COMM_DSO) return (fr.symbol ?? '').replace(/ /g, '_').replace(/;/g, ':')
  let name = fr.symbol ?? UNKNOWN_SYMBOL
  if (fr.symbol === undefined && fr.dso !== undefined && fr.dso !== '') name = `[${dsoShortName(fr.dso).replace(/^\[|\]$/g, '')}]`
  name = name.replace(/;/g, ':')
  if (fr.reliability !== 'reliable') name = UNRELIABLE_PREFIX + name
  if (annotate && fr.kind === 'kernel') name += '_[k]'
  if (annotate && fr.kind === 'jit') name += '_[j]'
  return name
}

/** Folded lines (no trailing newline on each), sorted like stackcollapse-perf.pl. */
export function foldedLines(samples: Iterable<ResolvedSample>, opts: FoldedOptions = {}): string[] {
  const b = new CallTreeBuilder({ weight: opts.weight ?? 'period', commAsRoot: true })
  for (const s of samples) b.addSample(s)
  const tree = b.finish()
  const names = tree.frames.frames.map((fr) => foldedFrameName(fr, opts.annotate))
  // Two tree paths can fold to one line (two [unknown]s of one dso differ only in kind), so merge.
  const counts = new Map<string, number>()
  forEachNode(tree.root, (node) => {
    if (node.self <= 0) return
    const line = stackText(node, names)
    counts.set(line, (counts.get(line) ?? 0) + node.self)
  })
  return [...counts.keys()].sort().map((k) => `${k} ${counts.get(k)}`)
}

function stackText(node: CallNode, names: string[]): string {
  return pathOf(node)
    .map((id) => names[id]!)
    .join(';')
}

/** The folded file contents. */
export function renderFolded(samples: Iterable<ResolvedSample>, opts: FoldedOptions = {}): string {
  const lines = foldedLines(samples, opts)
  return lines.length > 0 ? lines.join('\n') + '\n' : ''
}
