/**
 * One process's memory map over time: which file and file offset backs an address *now* (at the
 * time of the record being processed; records arrive in time order, so "now" is the sample's time).
 * A new mapping replaces whatever it overlaps, exactly as mmap(MAP_FIXED) and exec do; the
 * overlapped parts of older mappings are trimmed, not dropped.
 */
import type { Addr } from '../../parsers/common/addr.js'
import { findContaining } from './ranges.js'

export interface Mapping {
  start: Addr
  end: Addr
  /** File offset of `start`. */
  pgoff: number
  filename: string
  buildId: string | undefined
  /** PROT_EXEC known-executable (MMAP2 prot, or MMAP with no MMAP_DATA misc bit). */
  exec: boolean
}

/** Shared by all spaces, so that (pid, generation) never repeats, not even when a pid is reused. */
let nextGeneration = 1

export class AddressSpace {
  /** Sorted by start, non-overlapping. */
  private maps: Mapping[] = []
  private last: Mapping | undefined
  /** Changes whenever the mappings change: what caches of per-address answers are checked against. */
  generation = nextGeneration++

  constructor(from?: AddressSpace) {
    if (from) this.maps = from.maps.map((m) => ({ ...m }))
  }

  get size(): number {
    return this.maps.length
  }

  all(): readonly Mapping[] {
    return this.maps
  }

  insert(m: Mapping): void {
    if (!(m.end > m.start)) return
    const kept: Mapping[] = []
    for (const o of this.maps) {
      if (o.end <= m.start || o.start >= m.end) {
        kept.push(o)
        continue
      }
      // Keep the parts of `o` outside [m.start, m.end).
      if (o.start < m.start) kept.push({ ...o, end: m.start })
      if (o.end > m.end) kept.push({ ...o, start: m.end, pgoff: o.pgoff + (m.end - o.start) })
    }
    kept.push(m)
    kept.sort((a, b) => a.start - b.start)
    this.maps = kept
    this.last = undefined
    this.generation = nextGeneration++
  }

  /** The mapping containing `addr`, or undefined. */
  find(addr: Addr): Mapping | undefined {
    const last = this.last
    if (last && addr >= last.start && addr < last.end) return last
    const m = findContaining(this.maps, addr)
    if (m) this.last = m
    return m
  }
}
