/**
 * A flat ORC table: a sorted instruction-address array plus parallel entry arrays, looked up as
 * "rightmost entry with ip <= pc" (the kernel's __orc_find) and narrowed first by a block index
 * (the kernel's orc_lookup: one slot per 2^blockOrder bytes of covered text, holding the first
 * candidate entry index, "doubles performance at ~5% footprint" per orc_lookup.h).
 *
 * Entry i covers [ips[i], ips[i+1]). An entry of type UNDEFINED is a terminator / gap: lookups that
 * land on it find "no unwind info here" (the caller then uses the frame-pointer guess).
 *
 * Layout per entry: 8 (ip, f64 so kernel Addrs fit) + 2 + 2 + 1 + 1 = 14 bytes.
 */
import { OrcType, type OrcEntry } from './entry.js'

export class OrcTable {
  /** Module-relative or absolute addresses (whatever the producer used), ascending. */
  readonly ips: Float64Array
  readonly spOffset: Int16Array
  readonly bpOffset: Int16Array
  /** sp_reg | bp_reg << 4 */
  readonly regs: Uint8Array
  /** type | signal << 3 | ra_reg << 4 (ra_reg: RA_REG entries only) */
  readonly typeSignal: Uint8Array
  /**
   * Kernel tables: an UNDEFINED entry means "unwinding must stop here" (unwind_orc.c goes to err).
   * Tables compiled from DWARF CFI use UNDEFINED for gaps and for rows that ORC cannot express;
   * there the unwinder falls back to the frame-pointer guess instead, marked unreliable.
   */
  undefinedIsGap = false
  private readonly blockOrder: number
  private readonly blockBase: number
  private readonly blocks: Uint32Array

  constructor(
    ips: Float64Array,
    spOffset: Int16Array,
    bpOffset: Int16Array,
    regs: Uint8Array,
    typeSignal: Uint8Array,
    blockOrder = 8,
  ) {
    this.ips = ips
    this.spOffset = spOffset
    this.bpOffset = bpOffset
    this.regs = regs
    this.typeSignal = typeSignal
    this.blockOrder = blockOrder
    this.blockBase = ips.length > 0 ? ips[0]! : 0
    this.blocks = buildBlockIndex(ips, this.blockBase, blockOrder)
  }

  get length(): number {
    return this.ips.length
  }

  /** Index of the rightmost entry with ips[i] <= pc, or -1 when pc is below the first entry. */
  find(pc: number): number {
    const ips = this.ips
    const n = ips.length
    if (n === 0 || pc < ips[0]!) return -1
    let lo = 0
    let hi = n - 1
    const block = Math.floor((pc - this.blockBase) / (1 << this.blockOrder))
    if (block + 1 < this.blocks.length) {
      lo = this.blocks[block]!
      hi = Math.min(this.blocks[block + 1]! + 1, n - 1)
    } else {
      lo = this.blocks.length > 0 ? this.blocks[this.blocks.length - 1]! : 0
    }
    // Rightmost ips[i] <= pc within [lo, hi].
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1
      if (ips[mid]! <= pc) lo = mid
      else hi = mid - 1
    }
    return lo
  }

  type(i: number): number {
    return this.typeSignal[i]! & 7
  }
  signal(i: number): boolean {
    return (this.typeSignal[i]! & 8) !== 0
  }
  spReg(i: number): number {
    return this.regs[i]! & 15
  }
  bpReg(i: number): number {
    return this.regs[i]! >> 4
  }
  raReg(i: number): number {
    return this.typeSignal[i]! >> 4
  }

  entry(i: number): OrcEntry {
    const e: OrcEntry = {
      spReg: this.spReg(i),
      spOffset: this.spOffset[i]!,
      bpReg: this.bpReg(i),
      bpOffset: this.bpOffset[i]!,
      type: this.type(i),
      signal: this.signal(i),
    }
    if (e.type === OrcType.RA_REG) e.raReg = this.raReg(i)
    return e
  }

  /** Build from decoded entries; sorts by ip with terminators (UNDEFINED) first on ties. */
  static fromEntries(rows: readonly { ip: number; entry: OrcEntry }[], blockOrder = 8): OrcTable {
    const sorted = rows
      .map((r, k) => ({ r, k }))
      .sort(
        (a, b) =>
          a.r.ip - b.r.ip ||
          Number(a.r.entry.type !== OrcType.UNDEFINED) - Number(b.r.entry.type !== OrcType.UNDEFINED) ||
          a.k - b.k,
      )
    const n = sorted.length
    const ips = new Float64Array(n)
    const sp = new Int16Array(n)
    const bp = new Int16Array(n)
    const regs = new Uint8Array(n)
    const ts = new Uint8Array(n)
    sorted.forEach(({ r }, i) => {
      ips[i] = r.ip
      sp[i] = r.entry.spOffset
      bp[i] = r.entry.bpOffset
      regs[i] = (r.entry.spReg & 15) | ((r.entry.bpReg & 15) << 4)
      ts[i] = packTypeSignal(r.entry.type, r.entry.signal, r.entry.raReg ?? 0)
    })
    return new OrcTable(ips, sp, bp, regs, ts, blockOrder)
  }
}

/** The typeSignal byte: type | signal << 3 | ra_reg << 4. */
export function packTypeSignal(type: number, signal: boolean, raReg: number): number {
  return (type & 7) | (signal ? 8 : 0) | ((raReg & 15) << 4)
}

/**
 * blocks[b] = index of the rightmost entry with ip <= base + b * blockSize (the kernel's
 * orc_lookup slot). A lookup in block b searches [blocks[b], blocks[b+1] + 1].
 * Capped so an absurd address range (garbage table) cannot force a huge allocation.
 */
function buildBlockIndex(ips: Float64Array, base: number, order: number): Uint32Array {
  const n = ips.length
  if (n === 0) return new Uint32Array(0)
  const size = 1 << order
  const span = ips[n - 1]! - base
  const count = Math.floor(span / size) + 2
  if (!(count <= 4 * n + 1024)) return new Uint32Array(0)
  const blocks = new Uint32Array(count)
  let i = 0
  for (let b = 0; b < count; b++) {
    const start = base + b * size
    while (i + 1 < n && ips[i + 1]! <= start) i++
    blocks[b] = i
  }
  return blocks
}
