/**
 * What happens to each framed record: kernel records are decoded and queued for time order,
 * perf's user records (type >= 64) act at their stream position (attrs, features, rounds,
 * compression) exactly as perf_session__process_user_event does, unknown types are counted.
 */
import { PerfDataError } from '../common/errors.js'
import { readU64 } from '../common/addr.js'
import { zstdStream, type ZstdStream } from '../common/zstd.js'
import { parseEventAttr } from './attr.js'
import { cString } from './feature-cursor.js'
import { parseBuildIdBody, parseFeature } from './features.js'
import { RecordFramer, type RecordSink } from './framer.js'
import type { PerfFile } from './perf-file.js'
import { decodeKernelRecord } from './records.js'
import { RoundSorter } from './round-sorter.js'
import { parseSample } from './sample.js'
import { RecordType as T, type PerfRecord, type SampleRecord } from './types.js'

export interface PerfDataStats {
  recordsByType: Map<number, number>
  /** Records of a type this reader does not know, skipped by header.size. */
  skippedUnknown: number
  /** Bytes consumed from the source (compressed bytes count once, as stored). */
  bytesRead: number
  compressedRecords: number
  /** Samples dropped because their sample id matched no attr (perf: nr_unknown_id). */
  unknownId: number
}

const LAST_KERNEL_TYPE = T.CALLCHAIN_DEFERRED
const LAST_USER_TYPE = T.SCHEDSTAT_DOMAIN
/** EVENT_UPDATE type carrying the event name. */
const EVENT_UPDATE_NAME = 2

export class RecordDispatcher {
  /** Records ready for the consumer, in delivery order. */
  out: PerfRecord[] = []
  /** Set once a record other than HEADER_ATTR/HEADER_FEATURE has been seen (pipe pre-read). */
  sawPayloadRecord = false
  readonly sink: RecordSink = (v, b, p, type, misc, size, off) => this.handle(v, b, p, type, misc, size, off, false)
  private readonly sorter = new RoundSorter<PerfRecord>()
  private readonly emit = (r: PerfRecord): void => void this.out.push(r)
  private zstd: ZstdStream | undefined
  private inner: RecordFramer | undefined

  constructor(
    private readonly file: PerfFile,
    private readonly stats: PerfDataStats,
    private readonly warnings: string[],
  ) {}

  /** End of input: release everything queued; a record cut inside the zstd stream is a fault. */
  finish(): void {
    this.sorter.finish(this.emit)
    this.inner?.finish()
  }

  /** After a fault: deliver what was queued, it all came before the fault. */
  flushAfterFault(): void {
    this.sorter.finish(this.emit)
  }

  private handle(
    view: DataView, bytes: Uint8Array, pos: number, type: number, misc: number, size: number,
    offset: number, nested: boolean,
  ): number {
    const m = this.stats.recordsByType
    m.set(type, (m.get(type) ?? 0) + 1)
    if (type !== T.HEADER_ATTR && type !== T.HEADER_FEATURE) this.sawPayloadRecord = true
    if (type >= 1 && type <= LAST_KERNEL_TYPE) {
      this.handleKernel(view, bytes, pos, type, misc, size, offset)
      return 0
    }
    if (type >= T.HEADER_ATTR && type <= LAST_USER_TYPE) return this.handleUser(view, bytes, pos, type, misc, size, offset, nested)
    this.stats.skippedUnknown++
    return 0
  }

  private handleKernel(
    view: DataView, bytes: Uint8Array, pos: number, type: number, misc: number, size: number, offset: number,
  ): void {
    const file = this.file
    let attrIndex = file.attrIndexForRecord(view, pos, type, size)
    let time: number | undefined
    let rec: PerfRecord
    if (type === T.SAMPLE) {
      const info = file.parseInfo(attrIndex)
      if (!info) return void this.stats.unknownId++
      const sample: SampleRecord = parseSample(view, bytes, pos, size, misc, offset, attrIndex, info)
      time = sample.time
      rec = sample
    } else {
      if (attrIndex < 0) attrIndex = 0 // perf would fail here; keep the record, use the first attr
      rec = decodeKernelRecord(view, bytes, pos, type, misc, size, offset, file.parseInfo(attrIndex))
      time = (rec as { sampleId?: { time?: number } }).sampleId?.time
    }
    // perf queues only timestamped records (0 and ~0 mean none) and only when every attr
    // has sample_id_all; the rest are delivered at their stream position.
    if (time === undefined || time === 0 || !Number.isFinite(time) || !file.orderable()) this.out.push(rec)
    else this.sorter.insert(time, rec)
  }

  private other(bytes: Uint8Array, pos: number, type: number, misc: number, size: number, offset: number): void {
    this.out.push({ type, misc, offset, body: bytes.subarray(pos + 8, pos + size) })
  }

  private handleUser(
    view: DataView, bytes: Uint8Array, pos: number, type: number, misc: number, size: number,
    offset: number, nested: boolean,
  ): number {
    const body = size - 8
    switch (type) {
      case T.COMPRESSED:
      case T.COMPRESSED2:
        if (nested) throw new PerfDataError('COMPRESSED record inside compressed data', offset)
        this.decompress(view, bytes, pos, type, size, offset)
        return 0
      case T.FINISHED_ROUND:
        this.sorter.finishRound(this.emit)
        break
      case T.HEADER_ATTR:
        this.headerAttr(view, pos, size, offset)
        break
      case T.HEADER_FEATURE:
        this.headerFeature(view, pos, size, offset)
        break
      case T.HEADER_BUILD_ID:
        parseBuildIdBody(bytes.subarray(pos + 8, pos + size), misc, this.file)
        break
      case T.EVENT_UPDATE:
        this.eventUpdate(view, bytes, pos, size)
        break
    }
    this.other(bytes, pos, type, misc, size, offset)
    // Payloads that follow the record without being counted in header.size (§2.2).
    if (type === T.HEADER_TRACING_DATA) {
      if (body < 4) throw new PerfDataError(`HEADER_TRACING_DATA of ${size} bytes has no size field`, offset)
      return view.getUint32(pos + 8, true)
    }
    if (type === T.AUXTRACE) {
      if (body < 8) throw new PerfDataError(`AUXTRACE of ${size} bytes has no size field`, offset)
      const extra = readU64(view, pos + 8)
      if (!Number.isFinite(extra)) throw new PerfDataError('AUXTRACE payload size is absurd', offset)
      return extra
    }
    return 0
  }

  /** HEADER_ATTR: attr (attr.size bytes), then u64 ids to the end of the record. */
  private headerAttr(view: DataView, pos: number, size: number, offset: number): void {
    const attr = parseEventAttr(view, pos + 8, size - 8, offset + 8)
    for (let p = pos + 8 + attr.size; p + 8 <= pos + size; p += 8) attr.ids.push(readU64(view, p))
    this.file.addAttr(attr)
  }

  /** HEADER_FEATURE: u64 feat_id, then the feature's file-mode encoding. */
  private headerFeature(view: DataView, pos: number, size: number, offset: number): void {
    if (size < 16) throw new PerfDataError(`HEADER_FEATURE of ${size} bytes has no feature id`, offset)
    const feat = readU64(view, pos + 8)
    // The end-of-features mark carries HEADER_LAST_FEATURE, whose value depends on perf's age.
    if (!(feat > 0 && feat < 256) || size === 16) return
    try {
      parseFeature(feat, view, pos + 16, size - 16, offset + 16, this.file)
    } catch (e) {
      if (!(e instanceof PerfDataError)) throw e
      this.warnings.push(e.message)
    }
  }

  /** EVENT_UPDATE: u64 type; u64 id; data. Only NAME matters here. */
  private eventUpdate(view: DataView, bytes: Uint8Array, pos: number, size: number): void {
    if (size < 24 || readU64(view, pos + 8) !== EVENT_UPDATE_NAME) return
    const index = this.file.attrIndexForId(readU64(view, pos + 16))
    const attr = this.file.attrs[index]
    if (attr) attr.name = cString(bytes.subarray(pos + 24, pos + size))
  }

  /**
   * COMPRESSED: zstd bytes to the end of the record. COMPRESSED2: u64 data_size, then the bytes.
   * All of them continue ONE zstd stream; its output is a record stream of its own whose records
   * may straddle compressed records, so it gets its own framer that lives as long as the reader.
   */
  private decompress(view: DataView, bytes: Uint8Array, pos: number, type: number, size: number, offset: number): void {
    this.stats.compressedRecords++
    let data = bytes.subarray(pos + 8, pos + size)
    if (type === T.COMPRESSED2) {
      const n = size >= 16 ? readU64(view, pos + 8) : Number.POSITIVE_INFINITY
      if (!(n <= size - 16)) throw new PerfDataError(`COMPRESSED2 data_size does not fit its ${size}-byte record`, offset)
      data = bytes.subarray(pos + 16, pos + 16 + n)
    }
    if (!this.zstd) {
      const inner = new RecordFramer((v, b, p, t, mi, s, o) => this.handle(v, b, p, t, mi, s, o, true), 0)
      this.inner = inner
      this.zstd = zstdStream((chunk) => inner.push(chunk))
    }
    try {
      this.zstd.push(data)
    } catch (e) {
      const what = e instanceof PerfDataError ? e.message : `zstd: ${(e as Error).message}`
      throw new PerfDataError(`in the data of compressed record (${what})`, offset)
    }
  }
}
