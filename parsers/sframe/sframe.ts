/**
 * SFrame (binutils .sframe) v1 and v2 parsing. Layout per the kernel's copy of the format
 * (rostedt linux-trace kernel/unwind/sframe.h) and binutils' sframe-spec; v1 is what binutils 2.40
 * (Debian 12) emits for `gcc -Wa,--gsframe`, v2 (binutils 2.41+) adds an explicit repeat size.
 *
 *   header (28 bytes + auxhdr_len): u16 magic 0xdee2 | u8 version | u8 flags | u8 abi_arch |
 *     s8 cfa_fixed_fp_offset | s8 cfa_fixed_ra_offset | u8 auxhdr_len | u32 num_fdes |
 *     u32 num_fres | u32 fre_len | u32 fdes_off | u32 fres_off          (offsets from header end)
 *   FDE v1 (17 bytes, packed): s32 start_addr | u32 func_size | u32 fres_off | u32 fres_num | u8 info
 *   FDE v2 (20 bytes): the same + u8 rep_size + u16 padding
 *   FRE: start_off (1/2/4 bytes by FDE info bits 0-3) | u8 fre_info | N offsets (1/2/4 bytes each)
 *     fre_info: bit 0 CFA base (0 FP, 1 SP), bits 1-4 N, bits 5-6 offset size, bit 7 mangled RA.
 *     Offsets in order: CFA, RA (only if not fixed in the header), FP (if present).
 *
 * start_addr is relative to the start of the .sframe section, or, with flag FDE_FUNC_START_PCREL
 * (0x4, binutils 2.45 erratum to v2), to the start_addr field itself. We verified the first
 * against Debian 12's ld output (func at 0x1020, section at 0x2160, start_addr -0x1140).
 */
import { UnwindInfoError } from '../common/errors.js'

export const SFRAME_MAGIC = 0xdee2
export const SFRAME_F_FDE_SORTED = 0x1
export const SFRAME_F_FRAME_POINTER = 0x2
export const SFRAME_F_FDE_FUNC_START_PCREL = 0x4
export const SFRAME_ABI_AMD64_ENDIAN_LITTLE = 3
/** FDE info bit 4: FREs match on `pc % rep_size` (PLT stubs) instead of `pc >= start`. */
export const SFRAME_FDE_TYPE_PCMASK = 1

const HEADER_BYTES = 28

export interface SframeSection {
  version: number
  flags: number
  abiArch: number
  cfaFixedFpOffset: number
  cfaFixedRaOffset: number
  numFdes: number
  /** Absolute (svma) start of each function. */
  fdeStart: Float64Array
  fdeSize: Uint32Array
  /** Section offset of the FDE's first FRE. */
  fdeFrePos: Uint32Array
  fdeFreNum: Uint32Array
  fdeInfo: Uint8Array
  /** Repeat block size for PCMASK FDEs (v1: 16, the AMD64 PLT slot size). */
  fdeRepSize: Uint8Array
  /** End (section offset) of the FRE sub-section: FRE reads must stay below it. */
  freEnd: number
  bytes: Uint8Array
}

/** Parse the header and FDE array; throws UnwindInfoError when they cannot be read. */
export function parseSframe(bytes: Uint8Array, sectionAddr: number): SframeSection {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  if (bytes.byteLength < HEADER_BYTES) throw new UnwindInfoError(`.sframe shorter than its ${HEADER_BYTES}-byte header`, 0)
  const magic = v.getUint16(0, true)
  if (magic !== SFRAME_MAGIC) throw new UnwindInfoError(`.sframe magic 0x${magic.toString(16)}, expected 0xdee2 (little-endian)`, 0)
  const version = bytes[2]!
  if (version !== 1 && version !== 2) throw new UnwindInfoError(`.sframe version ${version}, expected 1 or 2`, 2)
  const headerEnd = HEADER_BYTES + bytes[7]!
  const numFdes = v.getUint32(8, true)
  const freLen = v.getUint32(16, true)
  const fdesAt = headerEnd + v.getUint32(20, true)
  const fresAt = headerEnd + v.getUint32(24, true)
  const fdeBytes = version === 1 ? 17 : 20
  if (fdesAt + numFdes * fdeBytes > bytes.byteLength) {
    throw new UnwindInfoError(`.sframe: ${numFdes} FDEs of ${fdeBytes} bytes do not fit the section`, 8)
  }
  if (fresAt + freLen > bytes.byteLength) throw new UnwindInfoError(`.sframe: FRE sub-section (${freLen} bytes) runs past the section`, 16)
  const s: SframeSection = {
    version,
    flags: bytes[3]!,
    abiArch: bytes[4]!,
    cfaFixedFpOffset: v.getInt8(5),
    cfaFixedRaOffset: v.getInt8(6),
    numFdes,
    fdeStart: new Float64Array(numFdes),
    fdeSize: new Uint32Array(numFdes),
    fdeFrePos: new Uint32Array(numFdes),
    fdeFreNum: new Uint32Array(numFdes),
    fdeInfo: new Uint8Array(numFdes),
    fdeRepSize: new Uint8Array(numFdes),
    freEnd: fresAt + freLen,
    bytes,
  }
  const pcrel = (s.flags & SFRAME_F_FDE_FUNC_START_PCREL) !== 0
  for (let i = 0; i < numFdes; i++) {
    const p = fdesAt + i * fdeBytes
    s.fdeStart[i] = sectionAddr + (pcrel ? p : 0) + v.getInt32(p, true)
    s.fdeSize[i] = v.getUint32(p + 4, true)
    s.fdeFrePos[i] = fresAt + v.getUint32(p + 8, true)
    s.fdeFreNum[i] = v.getUint32(p + 12, true)
    s.fdeInfo[i] = bytes[p + 16]!
    s.fdeRepSize[i] = version === 1 ? 16 : bytes[p + 17]!
  }
  return s
}

/** One decoded FRE (a reused out-object, see FreReader.read). */
export class Fre {
  /** Offset from the function start (PCINC) or within the repeat block (PCMASK). */
  startOff = 0
  cfaBaseIsSp = false
  cfaOffset = 0
  /** NaN when the RA is at the header's fixed offset. */
  raOffset = Number.NaN
  /** NaN when the FRE does not record where the frame pointer is saved. */
  fpOffset = Number.NaN
}

const SIZES = [1, 2, 4] as const

/**
 * Decode the FRE at section offset `pos` (FDE `fdeIndex`'s start-offset width) into `out`.
 * Returns the offset of the next FRE, or -1 when the FRE is malformed or runs past the FRE area.
 */
export function readFre(s: SframeSection, fdeIndex: number, pos: number, out: Fre): number {
  const addrBytes = SIZES[s.fdeInfo[fdeIndex]! & 0xf]
  if (addrBytes === undefined || pos + addrBytes + 1 > s.freEnd) return -1
  const b = s.bytes
  out.startOff = readUint(b, pos, addrBytes)
  const info = b[pos + addrBytes]!
  let p = pos + addrBytes + 1
  const count = (info >> 1) & 0xf
  const offBytes = SIZES[(info >> 5) & 3]
  const raFixed = s.cfaFixedRaOffset !== 0
  if (offBytes === undefined || count < 1 || count > 3 || p + count * offBytes > s.freEnd) return -1
  out.cfaBaseIsSp = (info & 1) === 1
  out.cfaOffset = readInt(b, p, offBytes)
  p += offBytes
  out.raOffset = Number.NaN
  out.fpOffset = Number.NaN
  let left = count - 1
  if (!raFixed && left > 0) {
    out.raOffset = readInt(b, p, offBytes)
    p += offBytes
    left--
  }
  if (left > 0) {
    out.fpOffset = readInt(b, p, offBytes)
    p += offBytes
    left--
  }
  return left === 0 ? p : -1
}

function readUint(b: Uint8Array, p: number, n: number): number {
  if (n === 1) return b[p]!
  if (n === 2) return b[p]! | (b[p + 1]! << 8)
  return (b[p]! | (b[p + 1]! << 8) | (b[p + 2]! << 16) | (b[p + 3]! << 24)) >>> 0
}

function readInt(b: Uint8Array, p: number, n: number): number {
  const u = readUint(b, p, n)
  const bits = n * 8
  return bits === 32 ? u | 0 : u >= 2 ** (bits - 1) ? u - 2 ** bits : u
}
