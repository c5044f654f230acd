/**
 * A direct-mapped cache from (tag, address) to a value, valid for one generation of an address
 * space. The per-frame lookups (which table entry unwinds this return address, which frame names
 * it) repeat a few thousand addresses millions of times; a Map keyed by a 47-bit address boxes the
 * key and hashes it, this is two multiplies, a shift, one array load and three compares. A slot
 * holds one key: a colliding address evicts it and the caller falls back to its slower, complete
 * memo.
 *
 * `generation` is AddressSpace.generation of the space the address was looked up in, which
 * changes with every mmap there, so no entry outlives the mappings it was computed from.
 */
import type { Addr } from '../../parsers/common/addr.js'

/** One slot's key and value, in one object so that a lookup touches one cache line past the slot. */
class Slot<T> {
  constructor(
    readonly addr: Addr,
    readonly tag: number,
    readonly generation: number,
    readonly value: T,
  ) {}
}

export class PcCache<T> {
  private readonly shift: number
  private readonly slots: (Slot<T> | undefined)[]

  /** 2^bits slots. */
  constructor(bits = 14) {
    this.shift = 32 - bits
    this.slots = new Array<Slot<T> | undefined>(1 << bits).fill(undefined)
  }

  /** The value stored for (tag, addr) in `generation`, or undefined. */
  get(tag: number, generation: number, addr: Addr): T | undefined {
    const s = this.slots[this.slot(tag, addr)]
    if (s !== undefined && s.addr === addr && s.tag === tag && s.generation === generation) return s.value
    return undefined
  }

  set(tag: number, generation: number, addr: Addr, value: T): void {
    this.slots[this.slot(tag, addr)] = new Slot(addr, tag, generation, value)
  }

  private slot(tag: number, addr: Addr): number {
    // The low 32 bits carry nearly all the variation of code addresses; ToUint32 wraps larger ones.
    return Math.imul((addr >>> 0) ^ Math.imul(tag, 0x27d4eb2d), 0x9e3779b1) >>> this.shift
  }
}
