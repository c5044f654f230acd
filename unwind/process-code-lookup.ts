/**
 * CodeLookup over a process's mappings: pc → mapping → binary → its ORC table (compiled from
 * the binary's CFI once per binary, or read from the persistent cache), with the load bias.
 * One instance per run; `pid` is set per sample. Per-binary tables are cached on the Dso.
 */
import type { Addr } from '../parsers/common/addr.js'
import { UnwindInfoError } from '../parsers/common/errors.js'
import type { TableHit, CodeLookup } from './code-lookup.js'
import type { Diagnostics } from './diagnostics.js'
import type { Machine } from './process/machine.js'
import type { Dso } from './symbols/dso.js'
import type { Symbolizer } from './symbols/symbolizer.js'
import { loadOrCompileTable, type TableCacheOptions } from './orc/table-cache.js'
import type { OrcTable } from './orc/table.js'

export class ProcessCodeLookup implements CodeLookup {
  pid = -1
  private readonly tables = new Map<Dso, OrcTable | undefined>()
  /** Binaries whose tables came from the cache / were compiled, for --stats and the bench. */
  readonly counts = { fromCache: 0, compiled: 0, noTable: 0 }

  constructor(
    private readonly machine: Machine,
    private readonly symbolizer: Symbolizer,
    private readonly cache: TableCacheOptions,
    private readonly diag: Diagnostics,
  ) {}

  find(pc: Addr, out: TableHit): boolean {
    const m = this.machine.findMapping(this.pid, pc)
    if (!m) return false
    const dso = this.symbolizer.dsoFor(m)
    if (!dso) return false
    const table = this.tableOf(dso)
    if (!table) return false
    const bias = dso.bias(m)
    const index = table.find(pc - bias)
    if (index < 0) return false
    out.table = table
    out.index = index
    out.bias = bias
    return true
  }

  private tableOf(dso: Dso): OrcTable | undefined {
    if (this.tables.has(dso)) return this.tables.get(dso)
    let table: OrcTable | undefined
    const elf = dso.elf
    if (elf) {
      try {
        const t = loadOrCompileTable(elf, { ...this.cache, debugFile: dso.debugElf })
        if (t.fromCache) this.counts.fromCache++
        else this.counts.compiled++
        table = t.table.length > 0 ? t.table : undefined
      } catch (e) {
        if (!(e instanceof UnwindInfoError)) throw e
        this.diag.warnOnce(`cfi:${dso.filename}`, `${dso.path}: unwind info unreadable (${e.message}); frame-pointer guesses there`)
      }
    }
    if (!table) this.counts.noTable++
    this.tables.set(dso, table)
    return table
  }
}
