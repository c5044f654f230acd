/**
 * 64-bit addresses as JavaScript numbers.
 *
 * perf.data stores addresses as u64. A JS number holds integers exactly only up to 2^53, and kernel
 * addresses (0xffff8000_00000000 and up) are far above that. Read as *signed* 64-bit values, though,
 * every canonical x86-64 address has magnitude below 2^47: user addresses stay as they are, kernel
 * addresses become small negative numbers (0xffffffff81000000 → -0x7f000000), and PERF_CONTEXT_*
 * markers become -128, -512, ... So an `Addr` is the signed interpretation, exact for every address
 * that can occur, with no bigint in the per-frame loop. Convert to hex only when printing.
 */
export type Addr = number

const TWO_32 = 4294967296

/** Read a u64 at `off` (little-endian) as a signed-interpretation Addr. */
export function readAddr(view: DataView, off: number): Addr {
  const lo = view.getUint32(off, true)
  const hi = view.getInt32(off + 4, true)
  return hi * TWO_32 + lo
}

/** Read a u64 that is a count or size; values above 2^53 come back as Infinity so checks fail. */
export function readU64(view: DataView, off: number): number {
  const lo = view.getUint32(off, true)
  const hi = view.getUint32(off + 4, true)
  if (hi >= 0x200000) return Number.POSITIVE_INFINITY
  return hi * TWO_32 + lo
}

/** A readU64 value for a message: "0x…", or "≥2^53" where readU64 gave Infinity. */
export function u64Hex(n: number): string {
  return Number.isFinite(n) ? `0x${n.toString(16)}` : '≥2^53'
}

/** Hex digits of the unsigned 64-bit value an Addr stands for, without a 0x prefix. */
export function addrHex(a: Addr): string {
  if (a >= 0) return a.toString(16)
  return BigInt.asUintN(64, BigInt(a)).toString(16)
}

/** Parse "ffffffff81000000" or "0x…" into an Addr (signed interpretation). */
export function parseAddrHex(s: string): Addr {
  const v = BigInt.asIntN(64, BigInt(s.startsWith('0x') ? s : '0x' + s))
  return Number(v)
}
