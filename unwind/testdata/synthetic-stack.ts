/**
 * Test helpers (not used by the tool): little-endian stack images, literal ORC tables and a
 * CodeLookup over a list of [start, end) ranges.
 */
import type { Addr } from '../../parsers/common/addr.js'
import { TableHit, type CodeLookup } from '../code-lookup.js'
import { OrcReg, OrcType, type OrcEntry } from '../orc/entry.js'
import { OrcTable } from '../orc/table.js'
import { StackMemory } from '../stack-memory.js'

export const R = OrcReg
export const T = OrcType

/** An entry; `signal` defaults to false. */
export function e(type: number, spReg: number, spOffset: number, bpReg: number = R.UNDEFINED, bpOffset = 0, signal = false): OrcEntry {
  return { type, spReg, spOffset, bpReg, bpOffset, signal }
}
export const call = (spReg: number, spOffset: number, bpReg: number = R.UNDEFINED, bpOffset = 0): OrcEntry =>
  e(T.CALL, spReg, spOffset, bpReg, bpOffset)
/** RA_REG: the RA is in `raReg`, the CFA is spReg + spOffset (glibc __vfork: sp+0 and DI). */
export const raIn = (raReg: number, spReg: number, spOffset: number): OrcEntry => ({ ...e(T.RA_REG, spReg, spOffset), raReg })
export const UND: OrcEntry = e(T.UNDEFINED, R.UNDEFINED, 0)
export const END: OrcEntry = e(T.END_OF_STACK, R.UNDEFINED, 0)

export function table(rows: [number, OrcEntry][], undefinedIsGap = false): OrcTable {
  const t = OrcTable.fromEntries(rows.map(([ip, entry]) => ({ ip, entry })))
  t.undefinedIsGap = undefinedIsGap
  return t
}

/** A stack image at [base, base + size), written as u64 slots. */
export class StackImage {
  readonly bytes: Uint8Array
  private readonly view: DataView
  constructor(
    readonly base: Addr,
    size: number,
  ) {
    this.bytes = new Uint8Array(size)
    this.view = new DataView(this.bytes.buffer)
  }
  get end(): Addr {
    return this.base + this.bytes.length
  }
  put(addr: Addr, value: Addr): this {
    this.view.setBigUint64(addr - this.base, BigInt.asUintN(64, BigInt(value)), true)
    return this
  }
  /** Write consecutive u64 values starting at addr. */
  putAll(addr: Addr, values: Addr[]): this {
    values.forEach((v, i) => this.put(addr + 8 * i, v))
    return this
  }
  memory(opts: { dynSize?: number; clipped?: boolean; from?: Addr } = {}): StackMemory {
    const m = new StackMemory()
    this.addTo(m, opts)
    return m
  }
  addTo(m: StackMemory, opts: { dynSize?: number; clipped?: boolean; from?: Addr; kind?: number } = {}): void {
    const from = opts.from ?? this.base
    const bytes = this.bytes.subarray(from - this.base)
    m.addRange(bytes, from, opts.dynSize ?? bytes.length, opts.clipped ?? true, opts.kind ?? 0)
  }
}

/** CodeLookup over [start, end) ranges, each with a table of addresses relative to `bias`. */
export class ListLookup implements CodeLookup {
  private readonly ranges: { start: Addr; end: Addr; table: OrcTable; bias: number }[] = []
  calls = 0
  readonly pcs: Addr[] = []
  add(start: Addr, end: Addr, t: OrcTable, bias = 0): this {
    this.ranges.push({ start, end, table: t, bias })
    return this
  }
  find(pc: Addr, out: TableHit): boolean {
    this.calls++
    if (this.pcs.length < 10000) this.pcs.push(pc)
    for (const r of this.ranges) {
      if (pc >= r.start && pc < r.end) {
        out.table = r.table
        out.bias = r.bias
        out.index = r.table.find(pc - r.bias)
        return out.index >= 0
      }
    }
    return false
  }
}

export { TableHit }
