/**
 * How a frame is named in every text format. perf's convention (and the kernel's oops dumps): a frame
 * the unwinder only guessed gets "? " in front of its symbol, so a reader never mistakes it for fact.
 */
import type { FrameKind, Reliability } from './model.js'

export const UNKNOWN_SYMBOL = '[unknown]'
export const UNRELIABLE_PREFIX = '? '

/** Symbol or [unknown], with "? " when the frame is not reliable. */
export function frameDisplayName(symbol: string | undefined, reliability: Reliability): string {
  const name = symbol ?? UNKNOWN_SYMBOL
  return reliability === 'reliable' ? name : UNRELIABLE_PREFIX + name
}

/** Why a frame is unreliable, in the words the HTML tooltip shows; '' when it is reliable. */
export function reliabilityReason(reliability: Reliability): string {
  switch (reliability) {
    case 'reliable':
      return ''
    case 'fp-guess':
      return 'no unwind table: frame-pointer guess'
    case 'below-guess':
      return 'below a guessed frame'
    case 'kernel-bpf':
      return 'kernel BPF/trampoline'
  }
}

/** "libc.so.6" for "/usr/lib/x86_64-linux-gnu/libc.so.6"; bracketed names ([kernel.kallsyms]) stay whole. */
export function dsoShortName(dso: string | undefined): string {
  if (dso === undefined || dso === '') return UNKNOWN_SYMBOL
  if (dso.startsWith('[')) return dso
  const slash = dso.lastIndexOf('/')
  return slash < 0 ? dso : dso.slice(slash + 1)
}

/** perf report's privilege column: [k] kernel, [.] everything else (perf prints JIT code as [.] too). */
export function kindMarker(kind: FrameKind): string {
  return kind === 'kernel' ? '[k]' : '[.]'
}
