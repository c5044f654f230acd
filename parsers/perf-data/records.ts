/**
 * Non-sample kernel records (types 1..22): the sample_id trailer and the decoders for MMAP,
 * MMAP2, COMM, FORK, EXIT, LOST, LOST_SAMPLES and KSYMBOL. Others become OtherRecord.
 * Payload strings are NUL-terminated and padded; the trailer sits at the END of the record,
 * so it is parsed backwards from header.size (perf_evsel__parse_id_sample).
 */
import { readAddr } from '../common/addr.js'
import { PerfDataError } from '../common/errors.js'
import { Misc, SampleType as S } from './constants.js'
import { cString, } from './feature-cursor.js'
import { hexBytes } from './features.js'
import type { AttrParseInfo } from './parse-info.js'
import type { PerfRecord, SampleId } from './types.js'
import { RecordType as T } from './types.js'

const TWO_32 = 4294967296

function u64At(view: DataView, p: number): number {
  return view.getUint32(p + 4, true) * TWO_32 + view.getUint32(p, true)
}

/** struct sample_id, read backwards from `end` (one past the last byte of the record). */
export function parseSampleIdTrailer(view: DataView, end: number, st: number): SampleId {
  const id: SampleId = {}
  let p = end
  if (st & S.IDENTIFIER) id.id = u64At(view, (p -= 8))
  if (st & S.CPU) id.cpu = view.getUint32((p -= 8), true)
  if (st & S.STREAM_ID) id.streamId = u64At(view, (p -= 8))
  if (st & S.ID) id.id = u64At(view, (p -= 8))
  if (st & S.TIME) id.time = u64At(view, (p -= 8))
  if (st & S.TID) {
    p -= 8
    id.pid = view.getInt32(p, true)
    id.tid = view.getInt32(p + 4, true)
  }
  return id
}

/** Where one record sits: body = [pos+8, end), where end excludes the sample_id trailer. */
interface Span {
  view: DataView
  bytes: Uint8Array
  pos: number
  end: number
  misc: number
  offset: number
  sampleId: SampleId
}

function requireBody(s: Span, type: number, min: number): void {
  if (s.end - s.pos - 8 < min) {
    throw new PerfDataError(`record type ${type} body of ${s.end - s.pos - 8} bytes is shorter than ${min}`, s.offset)
  }
}

function str(s: Span, from: number): string {
  return cString(s.bytes.subarray(s.pos + 8 + from, s.end))
}

function decodeMmap(s: Span): PerfRecord {
  requireBody(s, T.MMAP, 32)
  const v = s.view, b = s.pos + 8
  return {
    type: T.MMAP, misc: s.misc, offset: s.offset, pid: v.getInt32(b, true), tid: v.getInt32(b + 4, true),
    start: readAddr(v, b + 8), len: u64At(v, b + 16), pgoff: readAddr(v, b + 24), filename: str(s, 32),
    sampleId: s.sampleId,
  }
}

function decodeMmap2(s: Span): PerfRecord {
  requireBody(s, T.MMAP2, 64)
  const v = s.view, b = s.pos + 8
  const rec: PerfRecord = {
    type: T.MMAP2, misc: s.misc, offset: s.offset, pid: v.getInt32(b, true), tid: v.getInt32(b + 4, true),
    start: readAddr(v, b + 8), len: u64At(v, b + 16), pgoff: readAddr(v, b + 24),
    prot: v.getUint32(b + 56, true), flags: v.getUint32(b + 60, true), filename: str(s, 64),
    sampleId: s.sampleId,
  }
  if (s.misc & Misc.MMAP_BUILD_ID) {
    // { u8 build_id_size; u8 res1; u16 res2; u8 build_id[20] } replaces maj/min/ino/ino_gen.
    const size = Math.min(v.getUint8(b + 32), 20)
    rec.buildId = hexBytes(s.bytes.subarray(b + 36, b + 36 + size))
  } else {
    rec.maj = v.getUint32(b + 32, true)
    rec.min = v.getUint32(b + 36, true)
    rec.ino = u64At(v, b + 40)
  }
  return rec
}

function decodeComm(s: Span): PerfRecord {
  requireBody(s, T.COMM, 8)
  const v = s.view, b = s.pos + 8
  return {
    type: T.COMM, misc: s.misc, offset: s.offset, pid: v.getInt32(b, true), tid: v.getInt32(b + 4, true),
    comm: str(s, 8), exec: (s.misc & Misc.COMM_EXEC) !== 0, sampleId: s.sampleId,
  }
}

function decodeForkExit(s: Span, type: typeof T.FORK | typeof T.EXIT): PerfRecord {
  requireBody(s, type, 24)
  const v = s.view, b = s.pos + 8
  return {
    type, misc: s.misc, offset: s.offset, pid: v.getInt32(b, true), ppid: v.getInt32(b + 4, true),
    tid: v.getInt32(b + 8, true), ptid: v.getInt32(b + 12, true), time: u64At(v, b + 16),
    sampleId: s.sampleId,
  }
}

function decodeLost(s: Span, type: typeof T.LOST | typeof T.LOST_SAMPLES): PerfRecord {
  const b = s.pos + 8
  if (type === T.LOST) {
    requireBody(s, type, 16)
    return { type, misc: s.misc, offset: s.offset, id: u64At(s.view, b), lost: u64At(s.view, b + 8), sampleId: s.sampleId }
  }
  requireBody(s, type, 8)
  return { type, misc: s.misc, offset: s.offset, lost: u64At(s.view, b), sampleId: s.sampleId }
}

function decodeKsymbol(s: Span): PerfRecord {
  requireBody(s, T.KSYMBOL, 16)
  const v = s.view, b = s.pos + 8
  return {
    type: T.KSYMBOL, misc: s.misc, offset: s.offset, addr: readAddr(v, b), len: v.getUint32(b + 8, true),
    ksymType: v.getUint16(b + 12, true), flags: v.getUint16(b + 14, true), name: str(s, 16),
    sampleId: s.sampleId,
  }
}

const span: Span = {
  view: new DataView(new ArrayBuffer(0)), bytes: new Uint8Array(0), pos: 0, end: 0, misc: 0, offset: 0, sampleId: {},
}

/**
 * Decode a non-sample kernel record (type 1..63). `info` is its attr's parse info (undefined when
 * the stream has no attrs yet); its trailer is split off first so strings end before it.
 */
export function decodeKernelRecord(
  view: DataView, bytes: Uint8Array, pos: number, type: number, misc: number, size: number,
  offset: number, info: AttrParseInfo | undefined,
): PerfRecord {
  const trailer = info ? info.idTrailerSize : 0
  if (trailer > size - 8) {
    throw new PerfDataError(`record type ${type} of ${size} bytes cannot hold its ${trailer}-byte sample_id`, offset)
  }
  const s = span
  s.view = view; s.bytes = bytes; s.pos = pos; s.end = pos + size - trailer; s.misc = misc; s.offset = offset
  s.sampleId = trailer ? parseSampleIdTrailer(view, pos + size, info!.sampleType) : {}
  switch (type) {
    case T.MMAP: return decodeMmap(s)
    case T.MMAP2: return decodeMmap2(s)
    case T.COMM: return decodeComm(s)
    case T.FORK: return decodeForkExit(s, T.FORK)
    case T.EXIT: return decodeForkExit(s, T.EXIT)
    case T.LOST: return decodeLost(s, T.LOST)
    case T.LOST_SAMPLES: return decodeLost(s, T.LOST_SAMPLES)
    case T.KSYMBOL: return decodeKsymbol(s)
    default:
      return { type, misc, offset, body: bytes.subarray(pos + 8, pos + size), sampleId: s.sampleId }
  }
}
