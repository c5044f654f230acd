/**
 * The on-disk ORC entry layouts the kernel has shipped, how to tell them apart, and how each one
 * decodes into the internal form of unwind/orc/entry.ts (v6.4..v7.0 numbering).
 *
 * Layouts (little-endian u16 "flags" at byte 4 of each 6-byte entry; drgn libdrgn/orc.h + orc_info.c):
 *
 *   format   kernels        bits 0-3  4-7     8-10                 11       notes
 *   v4.14    4.14 .. 6.2    sp_reg    bp_reg  type:2 (8-9), end:10  -        CALL 0, REGS 1, REGS_PARTIAL 2
 *   v6.3     6.3            sp_reg    bp_reg  type:2, signal:10     end      same type values
 *   v6.4     6.4 .. 7.0     sp_reg    bp_reg  type:3                signal   UNDEFINED 0 .. REGS_PARTIAL 4
 *   v7.1     7.1 ..         sp_reg    bp_reg  type:3                signal   registers renumbered (+AX)
 *
 * v4.14/v6.3 have no UNDEFINED / END_OF_STACK types: `sp_reg == UNDEFINED` with end=0 is a
 * terminator (unwinding must stop, error), with end=1 the end of the stack.
 */
import { OrcReg, OrcType, type OrcEntry } from '../../unwind/orc/entry.js'

export type OrcFormat = 'v4.14' | 'v6.3' | 'v6.4' | 'v7.1'

/** How the format was decided, for messages and `orc dump --stats`. */
export type OrcFormatSource = 'forced' | 'orc_header' | 'release' | 'assumed'

/**
 * SHA-1 of the orc_types.h definitions (scripts/orc_hash.sh), stored in .orc_header since v6.4
 * (backported to 6.3.10). Values from drgn orc_info.c orc_version_from_header.
 */
const HEADER_HASHES: ReadonlyArray<[string, OrcFormat]> = [
  ['db84aed4103b31dd51e017f8f79783ca985c2c51', 'v6.3'],
  ['fe5d32bf581bd63b2ca9a5c65ba5a625eab3fe24', 'v6.4'],
  ['137c36ad7627c4dd55932176bb0ecdbd5041fc82', 'v7.1'],
]

export const ORC_HEADER_BYTES = 20

/** The format a .orc_header hash names, or undefined for a hash we do not know. */
export function formatFromOrcHeader(hash: Uint8Array): OrcFormat | undefined {
  let hex = ''
  for (const b of hash) hex += b.toString(16).padStart(2, '0')
  return HEADER_HASHES.find(([h]) => h === hex)?.[1]
}

/** The .orc_header bytes for a format (v6.3 and later), for tests and synthetic files. */
export function orcHeaderFor(format: OrcFormat): Uint8Array | undefined {
  const hex = HEADER_HASHES.find(([, f]) => f === format)?.[0]
  if (!hex) return undefined
  return Uint8Array.from(hex.match(/../g)!, (h) => parseInt(h, 16))
}

export interface KernelRelease {
  major: number
  minor: number
  text: string
}

/** "6.1.0-47-cloud-amd64", "6.12.107+deb12-cloud-amd64", "5.14.0-570.el9.x86_64" → {major, minor}. */
export function parseKernelRelease(text: string): KernelRelease | undefined {
  const m = /^(\d+)\.(\d+)/.exec(text.trim())
  if (!m) return undefined
  return { major: Number(m[1]), minor: Number(m[2]), text: text.trim() }
}

/** The on-disk format a kernel release wrote, for files without a .orc_header. */
export function formatFromRelease(rel: KernelRelease): OrcFormat {
  const v = rel.major * 1000 + rel.minor
  // RHEL 9.6 (5.14.0-517.el9 and later) backported the 3-bit type layout without .orc_header (drgn).
  const rhel = /^5\.14\.0-(\d+)[^ ]*\.el9/.exec(rel.text)
  if (rhel && Number(rhel[1]) >= 517) return 'v6.4'
  if (v >= 7001) return 'v7.1'
  if (v >= 6004) return 'v6.4'
  if (v === 6003) return 'v6.3'
  return 'v4.14'
}

// v4.14 / v6.3 type field → internal type.
const OLD_TYPES = [OrcType.CALL, OrcType.REGS, OrcType.REGS_PARTIAL] as const

// v7.1 register number → internal (v6.4..v7.0) number; drgn orc.h remap. 11..15 stay unknown.
const V71_REGS = [
  OrcReg.UNDEFINED,
  OrcReg.AX,
  OrcReg.DX,
  OrcReg.SP,
  OrcReg.BP,
  OrcReg.DI,
  OrcReg.R10,
  OrcReg.R13,
  OrcReg.PREV_SP,
  OrcReg.SP_INDIRECT,
  OrcReg.BP_INDIRECT,
  11,
  12,
  13,
  14,
  15,
] as const

/** Internal register number for an on-disk one. */
export function internalReg(format: OrcFormat, raw: number): number {
  return format === 'v7.1' ? V71_REGS[raw & 15]! : raw & 15
}

/**
 * Decode one entry's flags word (plus its two offsets) into the internal form.
 * Old layouts: a REGS / REGS_PARTIAL frame is always a signal frame (pre-6.3 unwinder rule).
 */
export function decodeOrcFlags(format: OrcFormat, flags: number, spOffset: number, bpOffset: number): OrcEntry {
  const spReg = internalReg(format, flags)
  const bpReg = internalReg(format, flags >> 4)
  if (format === 'v6.4' || format === 'v7.1') {
    return { spReg, spOffset, bpReg, bpOffset, type: (flags >> 8) & 7, signal: ((flags >> 11) & 1) === 1 }
  }
  const rawType = (flags >> 8) & 3
  const end = format === 'v4.14' ? (flags >> 10) & 1 : (flags >> 11) & 1
  let type: number
  if (spReg === OrcReg.UNDEFINED) type = end ? OrcType.END_OF_STACK : OrcType.UNDEFINED
  else type = OLD_TYPES[rawType] ?? OrcType.UNDEFINED // type 3 never existed: the unwinder errors
  const signal =
    format === 'v6.3' ? ((flags >> 10) & 1) === 1 : type === OrcType.REGS || type === OrcType.REGS_PARTIAL
  return { spReg, spOffset, bpReg, bpOffset, type, signal }
}

/**
 * Terminator test on the raw word (drgn): the "weak" entry objtool puts at the end of every text
 * section, sorted before a real entry at the same address.
 */
export function isTerminatorFlags(format: OrcFormat, flags: number): boolean {
  switch (format) {
    case 'v4.14':
      return (flags & 0x40f) === 0
    case 'v6.3':
      return (flags & 0x80f) === 0
    default:
      return (flags & 0x700) === 0
  }
}
