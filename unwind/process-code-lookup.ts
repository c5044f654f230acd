/**
 * CodeLookup over a process's mappings: pc → mapping → binary → its ORC table, with the load bias.
 * The table is read from the persistent cache (or compiled whole and stored there); with the cache
 * off, or for a binary without a build-id (nothing to key a cache entry on), it is compiled lazily,
 * one FDE at a time (binary-tables.ts LazyBinaryTable), when .eh_frame_hdr allows.
 * One instance per run; `pid` is set per sample.
 */
import type { Addr } from '../parsers/common/addr.js'
import { UnwindInfoError } from '../parsers/common/errors.js'
import { TableHit, type CodeLookup } from './code-lookup.js'
import type { Diagnostics } from './diagnostics.js'
import type { Machine } from './process/machine.js'
import type { AddressSpace, Mapping } from './process/address-space.js'
import { PcCache } from './process/pc-cache.js'
import type { Dso } from './symbols/dso.js'
import type { Symbolizer } from './symbols/symbolizer.js'
import { LazyBinaryTable, openLazyBinaryTable } from './orc/binary-tables.js'
import { loadOrCompileTable, type TableCacheOptions } from './orc/table-cache.js'
import type { CompileStats } from './orc/compile-cfi.js'
import { OrcTable } from './orc/table.js'

export class ProcessCodeLookup implements CodeLookup {
  private currentPid = -1
  /** The address space of `pid` (undefined until its first mmap), looked up once per sample. */
  private space: AddressSpace | undefined
  private readonly tables = new Map<Dso, OrcTable | LazyBinaryTable | undefined>()
  /** Compile statistics of every table opened (a lazy table's grow as its FDEs compile). */
  private readonly stats: CompileStats[] = []
  private fromCache = 0
  private unreadable = 0
  /**
   * Lookups already made (null: no table covers pc). A profile's stacks repeat a few thousand
   * return addresses: a hit replaces the mapping search and the binary's table search (for lazy
   * tables, the FDE search too). The direct-mapped `recent` answers almost every step; `memo`
   * keeps everything `recent` evicted, per mapping and pc. A new mmap over a range makes new
   * Mapping objects, so a changed mapping starts with an empty memo and the old one goes with
   * the old object; `recent` checks the space's generation instead.
   */
  private readonly recent = new PcCache<TableHit | null>()
  private readonly memo = new WeakMap<Mapping, Map<number, TableHit | null>>()

  constructor(
    private readonly machine: Machine,
    private readonly symbolizer: Symbolizer,
    private readonly cache: TableCacheOptions,
    private readonly diag: Diagnostics,
  ) {}

  /** The process whose mappings the next lookups use; called per sample (records between samples may mmap). */
  setProcess(pid: number): void {
    this.currentPid = pid
    this.space = this.machine.spaceOf(pid)
  }

  find(pc: Addr, out: TableHit): boolean {
    const space = pc < 0 ? this.machine.kernel : this.space
    if (space === undefined) return false
    let hit = this.recent.get(this.currentPid, space.generation, pc)
    if (hit === undefined) {
      hit = this.remembered(space, pc, out)
      this.recent.set(this.currentPid, space.generation, pc, hit)
    }
    if (hit === null) return false
    out.table = hit.table
    out.index = hit.index
    out.bias = hit.bias
    return true
  }

  private remembered(space: AddressSpace, pc: Addr, out: TableHit): TableHit | null {
    const m = space.find(pc)
    if (!m) return null
    let byPc = this.memo.get(m)
    if (byPc === undefined) {
      byPc = new Map()
      this.memo.set(m, byPc)
    }
    let hit = byPc.get(pc)
    if (hit === undefined) {
      hit = this.findIn(m, pc, out) ? copyHit(out) : null
      byPc.set(pc, hit)
    }
    return hit
  }

  private findIn(m: Mapping, pc: Addr, out: TableHit): boolean {
    const dso = this.symbolizer.dsoFor(m)
    if (!dso) return false
    const table = this.tableOf(dso)
    if (!table) return false
    const bias = dso.bias(m)
    if (table instanceof OrcTable) {
      const index = table.find(pc - bias)
      if (index < 0) return false
      out.table = table
      out.index = index
    } else if (!table.find(pc - bias, out)) return false
    out.bias = bias
    return true
  }

  private tableOf(dso: Dso): OrcTable | LazyBinaryTable | undefined {
    if (this.tables.has(dso)) return this.tables.get(dso)
    let table: OrcTable | LazyBinaryTable | undefined
    const elf = dso.elf
    if (elf) {
      try {
        const lazy = this.cache.noCache || !elf.buildId ? openLazyBinaryTable(elf, { debugFile: dso.debugElf }) : undefined
        if (lazy !== undefined) {
          table = lazy
          this.stats.push(lazy.stats)
        } else {
          const t = loadOrCompileTable(elf, { ...this.cache, debugFile: dso.debugElf })
          table = t.table.length > 0 ? t.table : undefined
          if (t.fromCache) this.fromCache++
          else this.stats.push(t.stats)
        }
      } catch (e) {
        if (!(e instanceof UnwindInfoError)) throw e
        this.unreadable++
        this.diag.warnOnce(`cfi:${dso.filename}`, `${dso.path}: unwind info unreadable (${e.message}); frame-pointer guesses there`)
      }
    }
    this.tables.set(dso, table)
    return table
  }

  /**
   * What the unwind tables cost and could not express, for the report: binaries with a table,
   * how many came from the persistent cache, FDEs compiled (lazily: only those the samples
   * touched) and their rows, rows that became gaps by reason, FDEs whose CFI was corrupt, and
   * binaries whose unwind info could not be read at all. Zero counts are left out.
   */
  tableSummary(): Record<string, number> {
    const sum: Record<string, number> = { binaries: this.stats.length + this.fromCache, fromCache: this.fromCache, unreadable: this.unreadable }
    for (const st of this.stats) {
      for (const [k, v] of Object.entries(st)) if (typeof v === 'number' && k !== 'entries') sum[k] = (sum[k] ?? 0) + v
    }
    for (const k of Object.keys(sum)) if (sum[k] === 0) delete sum[k]
    return sum
  }
}

function copyHit(h: TableHit): TableHit {
  const c = new TableHit()
  c.table = h.table
  c.index = h.index
  c.bias = h.bias
  return c
}
