/** Binary search over sorted, non-overlapping [start, end) ranges. */
import type { Addr } from '../../parsers/common/addr.js'

export function findContaining<T extends { start: Addr; end: Addr }>(sorted: readonly T[], addr: Addr): T | undefined {
  let lo = 0
  let hi = sorted.length - 1
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1
    const r = sorted[mid]!
    if (addr < r.start) hi = mid - 1
    else if (addr >= r.end) lo = mid + 1
    else return r
  }
  return undefined
}
