/**
 * Recognisers for the few DWARF expressions that real x86-64 CFI uses and that ORC can still
 * express. Everything else stays an opaque expression (the caller counts it and leaves a gap).
 * Expressions are rare (a handful per binary), so these may allocate.
 */
import { CfiCursor } from './cursor.js'

// DW_OP_* (DWARF 5 §7.7.1)
export const DW_OP = {
  deref: 0x06,
  and: 0x1a,
  plus: 0x22,
  shl: 0x24,
  ge: 0x2a,
  lit0: 0x30,
  breg0: 0x70,
} as const

/** `DW_OP_bregN off` at the start of [start, end): register, offset, and where the tail begins. */
export interface BregPrefix {
  reg: number
  offset: number
  tail: number
}

export function readBregPrefix(bytes: Uint8Array, start: number, end: number): BregPrefix | undefined {
  const c = new CfiCursor(bytes)
  c.pos = start
  c.end = end
  const op = c.u8()
  if (op < DW_OP.breg0 || op > DW_OP.breg0 + 31) return undefined
  const offset = c.sleb()
  if (c.bad) return undefined
  return { reg: op - DW_OP.breg0, offset, tail: c.pos }
}

/** `DW_OP_bregN off; DW_OP_deref` exactly: the value saved at reg+off. */
export function matchBregDeref(bytes: Uint8Array, start: number, end: number): BregPrefix | undefined {
  const b = readBregPrefix(bytes, start, end)
  return b !== undefined && b.tail + 1 === end && bytes[b.tail] === DW_OP.deref ? b : undefined
}

/** `DW_OP_bregN off` exactly: the address reg+off. */
export function matchBreg(bytes: Uint8Array, start: number, end: number): BregPrefix | undefined {
  const b = readBregPrefix(bytes, start, end)
  return b !== undefined && b.tail === end ? b : undefined
}

/**
 * The lazy-binding PLT's CFA (binutils elf_x86_64 eh_frame_plt, also in .plt.sec variants):
 *   DW_OP_breg7 A; DW_OP_breg16 0; DW_OP_lit15; DW_OP_and; DW_OP_litK; DW_OP_ge;
 *   DW_OP_lit3; DW_OP_shl; DW_OP_plus
 * = rsp + A + ((rip & 15) >= K ? 8 : 0): in each 16-byte slot the first K bytes run before the
 * `push $index` and the rest after it. Returns {A, K} or undefined when the bytes differ.
 */
export function matchPltCfa(bytes: Uint8Array, start: number, end: number): { a: number; k: number } | undefined {
  const b = readBregPrefix(bytes, start, end)
  if (b === undefined || b.reg !== 7 || end - b.tail !== 9) return undefined
  const p = b.tail
  const k = bytes[p + 4]! - DW_OP.lit0
  const ok =
    bytes[p] === DW_OP.breg0 + 16 &&
    bytes[p + 1] === 0 &&
    bytes[p + 2] === DW_OP.lit0 + 15 &&
    bytes[p + 3] === DW_OP.and &&
    k >= 1 &&
    k <= 15 &&
    bytes[p + 5] === DW_OP.ge &&
    bytes[p + 6] === DW_OP.lit0 + 3 &&
    bytes[p + 7] === DW_OP.shl &&
    bytes[p + 8] === DW_OP.plus
  return ok ? { a: b.offset, k } : undefined
}
