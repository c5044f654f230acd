/**
 * A kallsyms file, read with the reader that suits it: the kernel's own output (/proc/kallsyms,
 * or the copy perf keeps of it) is searched in place (sorted-kallsyms.ts); anything else, such as
 * a file given with --kallsyms, is parsed whole (kallsyms.ts), since its lines may come in any order.
 */
import { readFileSync } from 'node:fs'
import { parseKallsymsIfAny, type Kallsyms } from './kallsyms.js'
import { SortedKallsyms } from './sorted-kallsyms.js'

/**
 * Kernel symbols from a kallsyms file; undefined when it cannot be read or names no code.
 * `kernelPrinted`: the caller knows the file is a copy of the kernel's output (perf's build-id
 * cache); /proc/kallsyms is known to be.
 */
export function loadKallsyms(path: string, kernelPrinted: boolean): Kallsyms | undefined {
  let bytes: Buffer
  try {
    bytes = readFileSync(path)
  } catch {
    return undefined
  }
  return (kernelPrinted || path === '/proc/kallsyms' ? SortedKallsyms.over(bytes) : undefined) ?? parseKallsymsIfAny(bytes)
}
