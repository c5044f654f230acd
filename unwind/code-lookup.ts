/**
 * How the unwinder finds unwind info for an absolute code address. The process model implements
 * it (address → mapping → binary → cached OrcTable); tests implement it with a literal table.
 * Out-parameter style so the per-frame path allocates nothing.
 */
import type { Addr } from '../parsers/common/addr.js'
import type { OrcTable } from './orc/table.js'

export class TableHit {
  table: OrcTable | undefined = undefined
  /** Entry index in `table`, valid when find() returned true. */
  index = -1
  /** absolute address = table address + bias (load bias of the mapping). */
  bias = 0
}

export interface CodeLookup {
  /**
   * Look up `pc` (absolute). Returns true and fills `out` when a table covers the module holding
   * pc; false when no table does (JIT code, BPF, stripped or missing binary): the caller then uses
   * the frame-pointer guess. The entry at out.index may still be UNDEFINED (see OrcTable).
   */
  find(pc: Addr, out: TableHit): boolean
}
