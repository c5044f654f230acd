/**
 * PerfFile: everything about a recording except its records: attrs, sample ids and the parsed
 * feature sections. In pipe mode it fills in as HEADER_ATTR / HEADER_FEATURE records arrive.
 * It also owns the record -> attr mapping, done exactly as perf's evlist__event2evsel.
 */
import type { EventAttr } from './attr.js'
import { defaultEventName } from './attr.js'
import { computeParseInfo, idPos, isPos, type AttrParseInfo } from './parse-info.js'
import { RecordType } from './types.js'

export interface BuildIdEntry {
  pid: number
  /** Lower-case hex, only the bytes the build-id really has (20 for sha1). */
  buildId: string
  filename: string
  misc: number
}

export interface EventDescEntry {
  name: string
  ids: number[]
  attr: EventAttr
}

export interface GroupDescEntry {
  name: string
  leaderIdx: number
  nrMembers: number
}

export interface CompressedInfo {
  ver: number
  type: number
  level: number
  ratio: number
  mmapLen: number
}

export class PerfFile {
  pipe = false
  headerSize = 0
  /** File mode: section offsets; pipe mode: dataOffset 16, dataSize 0 (runs to EOF). */
  dataOffset = 0
  dataSize = 0
  featOffset = 0
  attrs: EventAttr[] = []
  /** Bitmap of feature bits present (file mode) or received (pipe mode). */
  features = new Set<number>()
  hostname?: string
  osRelease?: string
  version?: string
  arch?: string
  nrCpus?: { online: number; available: number }
  cpuDesc?: string
  cpuId?: string
  /** kB, as perf stores it (MemTotal from /proc/meminfo). */
  totalMem?: number
  cmdline?: string[]
  eventDesc?: EventDescEntry[]
  sampleTime?: { first: number; last: number }
  /** Clock resolution in ns (HEADER_CLOCKID). */
  clockId?: number
  clockData?: { version: number; clockid: number; todNs: bigint; clockidNs: bigint }
  compressed?: CompressedInfo
  pmuMappings?: { type: number; name: string }[]
  groupDesc?: GroupDescEntry[]
  buildIds: BuildIdEntry[] = []
  /** Modification time of the file when opened from a path, in whole seconds as perf prints st_mtime ("captured on"). */
  mtime?: Date

  private parseInfos: AttrParseInfo[] = []
  private idToAttr = new Map<number, number>()
  private evlistIdPos = -1
  private evlistIsPos = -1

  /** Add one attr (file attr section, pipe HEADER_ATTR); names default until EVENT_DESC says. */
  addAttr(attr: EventAttr): void {
    if (!attr.name) attr.name = defaultEventName(attr)
    this.attrs.push(attr)
    this.parseInfos.push(computeParseInfo(attr))
    const index = this.attrs.length - 1
    for (const id of attr.ids) this.idToAttr.set(id, index)
    // perf takes id_pos/is_pos from the first evsel (evlist__set_id_pos).
    const first = this.attrs[0]!
    this.evlistIdPos = idPos(first.sampleType)
    this.evlistIsPos = isPos(first.sampleType)
  }

  /** Record more ids for an attr (EVENT_DESC, ID_INDEX). */
  addIds(attrIndex: number, ids: readonly number[]): void {
    const attr = this.attrs[attrIndex]
    if (!attr) return
    for (const id of ids) {
      if (!this.idToAttr.has(id)) attr.ids.push(id)
      this.idToAttr.set(id, attrIndex)
    }
  }

  eventName(attrIndex: number): string {
    return this.attrs[attrIndex]?.name ?? `event${attrIndex}`
  }

  /** Index into attrs of the event with sample id `id`, or -1. */
  attrIndexForId(id: number): number {
    return this.idToAttr.get(id) ?? -1
  }

  parseInfo(attrIndex: number): AttrParseInfo | undefined {
    return this.parseInfos[attrIndex]
  }

  /** True when perf would order records by time: every attr has sample_id_all. */
  orderable(): boolean {
    return this.attrs.length > 0 && this.attrs.every((a) => a.sampleIdAll)
  }

  /**
   * Which attr a kernel record at `pos` (header start) of `size` bytes belongs to, as perf's
   * evlist__event2evsel: one attr -> 0; non-sample without sample_id_all -> 0; else the id at
   * id_pos (samples) or is_pos (others); id 0 (synthesized) -> 0; unknown id -> -1.
   */
  attrIndexForRecord(view: DataView, pos: number, type: number, size: number): number {
    const n = this.attrs.length
    if (n <= 1) return n === 1 ? 0 : -1
    const isSample = type === RecordType.SAMPLE
    if (!isSample && !this.attrs[0]!.sampleIdAll) return 0
    const words = (size - 8) >>> 3
    let at: number
    if (isSample) {
      if (this.evlistIdPos < 0 || this.evlistIdPos >= words) return -1
      at = pos + 8 + this.evlistIdPos * 8
    } else {
      if (this.evlistIsPos < 0 || this.evlistIsPos > words) return -1
      at = pos + 8 + (words - this.evlistIsPos) * 8
    }
    const lo = view.getUint32(at, true)
    const hi = view.getUint32(at + 4, true)
    if (lo === 0 && hi === 0) return 0
    return this.attrIndexForId(hi * 4294967296 + lo)
  }
}
