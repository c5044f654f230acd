/**
 * Per-attr facts computed once, so that per-record work is table lookups: the size of the
 * sample_id trailer, register counts and the shared register index, and perf's id_pos/is_pos
 * (tools/perf/util/evsel.c __evsel__calc_id_pos / __evsel__calc_is_pos).
 */
import type { EventAttr } from './attr.js'
import { SampleType as S } from './constants.js'

export interface AttrParseInfo {
  attr: EventAttr
  sampleType: number
  sampleIdAll: boolean
  /** Bytes of the sample_id trailer on non-sample kernel records (0 without sample_id_all). */
  idTrailerSize: number
  regsUserCount: number
  regsIntrCount: number
  /** Register number -> position in the values array, -1 when not captured. Shared per attr. */
  regsUserIndex: Int8Array
  regsIntrIndex: Int8Array
  branchHwIndex: boolean
}

/** Bits of sample_type that appear in the sample_id trailer (struct sample_id). */
const TRAILER_BITS = [S.TID, S.TIME, S.ID, S.STREAM_ID, S.CPU, S.IDENTIFIER]

function popcount64(mask: bigint): number {
  let n = 0
  for (let m = mask; m !== 0n; m &= m - 1n) n++
  return n
}

/** Position of each set mask bit among the set bits; registers come in ascending bit order. */
function regIndex(mask: bigint): Int8Array {
  const index = new Int8Array(64).fill(-1)
  let pos = 0
  for (let bit = 0; bit < 64; bit++) {
    if ((mask >> BigInt(bit)) & 1n) index[bit] = pos++
  }
  return index
}

export function computeParseInfo(attr: EventAttr): AttrParseInfo {
  const st = attr.sampleType
  let trailer = 0
  if (attr.sampleIdAll) for (const bit of TRAILER_BITS) if (st & bit) trailer += 8
  return {
    attr,
    sampleType: st,
    sampleIdAll: attr.sampleIdAll,
    idTrailerSize: trailer,
    regsUserCount: popcount64(attr.sampleRegsUser),
    regsIntrCount: popcount64(attr.sampleRegsIntr),
    regsUserIndex: regIndex(attr.sampleRegsUser),
    regsIntrIndex: regIndex(attr.sampleRegsIntr),
    branchHwIndex: (attr.branchSampleType & (1 << 17)) !== 0,
  }
}

/** u64 index of the id in a sample, counted after the header; -1 when there is none. */
export function idPos(sampleType: number): number {
  if (sampleType & S.IDENTIFIER) return 0
  if (!(sampleType & S.ID)) return -1
  let pos = 0
  for (const bit of [S.IP, S.TID, S.TIME, S.ADDR]) if (sampleType & bit) pos++
  return pos
}

/** u64 index of the id counted back from the end of a non-sample record; -1 when none. */
export function isPos(sampleType: number): number {
  if (sampleType & S.IDENTIFIER) return 1
  if (!(sampleType & S.ID)) return -1
  let pos = 1
  if (sampleType & S.CPU) pos++
  if (sampleType & S.STREAM_ID) pos++
  return pos
}
