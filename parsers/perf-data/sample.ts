/**
 * PERF_RECORD_SAMPLE decoding: every PERF_SAMPLE_* field in the order the kernel writes them
 * (perf-data-format.md §4.2, evsel__parse_sample). Every variable length is checked against
 * header.size before use, like perf's OVERFLOW_CHECK; a violation throws PerfDataError, which
 * the reader turns into the end of the stream.
 */
import { readAddr } from '../common/addr.js'
import { PerfDataError } from '../common/errors.js'
import { ReadFormat as RF, SampleType as S } from './constants.js'
import type { AttrParseInfo } from './parse-info.js'
import type { BranchEntry, ReadValues, RegsSample, SampleRecord } from './types.js'
import { RecordType } from './types.js'

const TWO_32 = 4294967296

/** Cursor state shared by the helpers below; one sample is parsed at a time. */
interface Cursor {
  view: DataView
  bytes: Uint8Array
  p: number
  end: number
  /** Stream offset of the record start and its position in `view`, for error offsets. */
  offset: number
  start: number
}

function need(c: Cursor, n: number, what: string): number {
  if (!(n <= c.end - c.p)) {
    throw new PerfDataError(`sample field ${what} needs ${n} bytes, record has ${c.end - c.p} left`, c.offset + (c.p - c.start))
  }
  const p = c.p
  c.p += n
  return p
}

/** u64 as a number; exact below 2^53, which covers times, ids, periods and sizes. */
function u64(c: Cursor, what: string): number {
  const p = need(c, 8, what)
  return c.view.getUint32(p + 4, true) * TWO_32 + c.view.getUint32(p, true)
}

/** A u64 count or size; rejected when it could not fit into the rest of the record. */
function length(c: Cursor, unit: number, what: string): number {
  const n = u64(c, what)
  if (n * unit > c.end - c.p) {
    throw new PerfDataError(`sample ${what} ${n} exceeds record size`, c.offset + (c.p - c.start))
  }
  return n
}

function parseRead(c: Cursor, readFormat: number): ReadValues {
  const out: ReadValues = { values: [] }
  const group = (readFormat & RF.GROUP) !== 0
  const nr = group ? length(c, 8, 'read nr') : 1
  let value = group ? 0 : u64(c, 'read value')
  if (readFormat & RF.TOTAL_TIME_ENABLED) out.timeEnabled = u64(c, 'time_enabled')
  if (readFormat & RF.TOTAL_TIME_RUNNING) out.timeRunning = u64(c, 'time_running')
  for (let i = 0; i < nr; i++) {
    if (group) value = u64(c, 'read value')
    const v: ReadValues['values'][number] = { value }
    if (readFormat & RF.ID) v.id = u64(c, 'read id')
    if (readFormat & RF.LOST) v.lost = u64(c, 'read lost')
    out.values.push(v)
  }
  return out
}

/**
 * Callchain entries as Addr; PERF_CONTEXT_* markers stay in place as negative values. The raw
 * bytes are kept as a view too: a garbage entry (a frame-pointer chain through code without frame
 * pointers reads any stack word) can be far from canonical and is only exact as a u64.
 */
function parseCallchain(c: Cursor, rec: SampleRecord): Float64Array {
  const nr = length(c, 8, 'callchain nr')
  const p = need(c, nr * 8, 'callchain')
  const out = new Float64Array(nr)
  for (let i = 0; i < nr; i++) out[i] = readAddr(c.view, p + i * 8)
  rec.callchainBytes = c.bytes.subarray(p, p + nr * 8)
  return out
}

function parseBranchStack(c: Cursor, info: AttrParseInfo, rec: SampleRecord): void {
  const nr = length(c, 24, 'branch nr')
  if (info.branchHwIndex) rec.branchHwIdx = readAddr(c.view, need(c, 8, 'branch hw_idx'))
  const p = need(c, nr * 24, 'branch entries')
  const entries: BranchEntry[] = new Array(nr)
  for (let i = 0; i < nr; i++) {
    const e = p + i * 24
    entries[i] = { from: readAddr(c.view, e), to: readAddr(c.view, e + 8), flags: u64At(c.view, e + 16) }
  }
  rec.branchStack = entries
}

function u64At(view: DataView, p: number): number {
  return view.getUint32(p + 4, true) * TWO_32 + view.getUint32(p, true)
}

/** { u64 abi; u64 regs[popcount(mask)] only if abi != 0 } */
function parseRegs(c: Cursor, count: number, mask: bigint, index: Int8Array): RegsSample | undefined {
  const abi = u64(c, 'regs abi')
  if (abi === 0) return undefined
  const p = need(c, count * 8, 'regs')
  const values = new Float64Array(count)
  for (let i = 0; i < count; i++) values[i] = readAddr(c.view, p + i * 8)
  return { abi, mask, values, index }
}

/** { u64 size; u8 data[size]; u64 dyn_size if size != 0 }: data stays a view, no copy. */
function parseStackUser(c: Cursor, rec: SampleRecord): void {
  const size = length(c, 1, 'stack size')
  const p = need(c, size, 'stack data')
  rec.stackUser = c.bytes.subarray(p, p + size)
  if (size !== 0) rec.stackUserDynSize = Math.min(u64(c, 'stack dyn_size'), size)
}

/** Fixed-size head of the sample: IDENTIFIER .. PERIOD. */
function parseHead(c: Cursor, st: number, rec: SampleRecord): void {
  if (st & S.IDENTIFIER) rec.id = u64(c, 'identifier')
  if (st & S.IP) rec.ip = readAddr(c.view, need(c, 8, 'ip'))
  if (st & S.TID) {
    const p = need(c, 8, 'tid')
    rec.pid = c.view.getInt32(p, true)
    rec.tid = c.view.getInt32(p + 4, true)
  }
  if (st & S.TIME) rec.time = u64(c, 'time')
  if (st & S.ADDR) rec.addr = readAddr(c.view, need(c, 8, 'addr'))
  if (st & S.ID) rec.id = u64(c, 'id')
  if (st & S.STREAM_ID) rec.streamId = u64(c, 'stream_id')
  if (st & S.CPU) rec.cpu = c.view.getUint32(need(c, 8, 'cpu'), true)
  if (st & S.PERIOD) rec.period = u64(c, 'period')
}

/** Everything after REGS_USER/STACK_USER, in kernel order; AUX is last (§4.2). */
function parseTail(c: Cursor, info: AttrParseInfo, rec: SampleRecord): void {
  const st = info.sampleType
  if (st & (S.WEIGHT | S.WEIGHT_STRUCT)) rec.weight = u64(c, 'weight')
  if (st & S.DATA_SRC) rec.dataSrc = u64(c, 'data_src')
  if (st & S.TRANSACTION) rec.transaction = u64(c, 'transaction')
  if (st & S.REGS_INTR) {
    rec.regsIntr = parseRegs(c, info.regsIntrCount, info.attr.sampleRegsIntr, info.regsIntrIndex)
  }
  if (st & S.PHYS_ADDR) rec.physAddr = u64(c, 'phys_addr')
  if (st & S.CGROUP) rec.cgroup = u64(c, 'cgroup')
  if (st & S.DATA_PAGE_SIZE) rec.dataPageSize = u64(c, 'data_page_size')
  if (st & S.CODE_PAGE_SIZE) rec.codePageSize = u64(c, 'code_page_size')
  if (st & S.AUX) {
    const size = length(c, 1, 'aux size')
    const p = need(c, size, 'aux data')
    rec.aux = c.bytes.subarray(p, p + size)
  }
}

const cursor: Cursor = { view: new DataView(new ArrayBuffer(0)), bytes: new Uint8Array(0), p: 0, end: 0, offset: 0, start: 0 }

/**
 * Decode the sample whose header starts at `pos` in `bytes`/`view` and is `size` bytes long.
 * `offset` is its position in the (decompressed) stream.
 */
export function parseSample(
  view: DataView, bytes: Uint8Array, pos: number, size: number, misc: number, offset: number,
  attrIndex: number, info: AttrParseInfo,
): SampleRecord {
  const c = cursor
  c.view = view; c.bytes = bytes; c.p = pos + 8; c.end = pos + size; c.offset = offset; c.start = pos
  const st = info.sampleType
  const rec: SampleRecord = { type: RecordType.SAMPLE, attrIndex, misc, offset }
  // Absent PERIOD means the attr's fixed period (evsel__parse_sample default).
  if (!(st & S.PERIOD) && !info.attr.freq) rec.period = info.attr.samplePeriod
  parseHead(c, st, rec)
  if (st & S.READ) rec.read = parseRead(c, info.attr.readFormat)
  if (st & S.CALLCHAIN) rec.callchain = parseCallchain(c, rec)
  if (st & S.RAW) {
    const p = need(c, 4, 'raw size')
    const n = view.getUint32(p, true)
    rec.raw = bytes.subarray(need(c, n, 'raw data'), c.p)
  }
  if (st & S.BRANCH_STACK) parseBranchStack(c, info, rec)
  if (st & S.REGS_USER) {
    rec.regsUser = parseRegs(c, info.regsUserCount, info.attr.sampleRegsUser, info.regsUserIndex)
  }
  if (st & S.STACK_USER) parseStackUser(c, rec)
  parseTail(c, info, rec)
  return rec
}
