/**
 * Feature sections (file mode) and HEADER_FEATURE bodies (pipe mode) share one encoding per
 * feature id (tools/perf/util/header.c write_* / process_*). Only the features perf-orc shows or
 * needs are decoded; others are remembered as present and skipped.
 */
import { parseEventAttr } from './attr.js'
import { Feature as F, Misc } from './constants.js'
import { cString, FeatureCursor } from './feature-cursor.js'
import type { PerfFile } from './perf-file.js'

type FeatureParser = (c: FeatureCursor, file: PerfFile) => void

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'))

export function hexBytes(bytes: Uint8Array): string {
  let s = ''
  for (const b of bytes) s += HEX[b]
  return s
}

/**
 * One build-id record (BUILD_ID feature entry or HEADER_BUILD_ID body after the 8-byte header):
 * s32 pid; u8 build_id[24]; char filename[]. With misc BUILD_ID_SIZE, byte 20 is the length.
 */
export function parseBuildIdBody(body: Uint8Array, misc: number, file: PerfFile): void {
  if (body.length < 28) return
  const view = new DataView(body.buffer, body.byteOffset, body.length)
  let size = 20
  if (misc & Misc.BUILD_ID_SIZE) size = Math.min(body[24] ?? 20, 20)
  file.buildIds.push({
    pid: view.getInt32(0, true),
    buildId: hexBytes(body.subarray(4, 4 + size)),
    filename: cString(body.subarray(28)),
    misc,
  })
}

function parseBuildIds(c: FeatureCursor, file: PerfFile): void {
  while (c.remaining >= 8) {
    const hdr = c.bytes(8)
    const hv = new DataView(hdr.buffer, hdr.byteOffset, 8)
    const size = hv.getUint16(6, true)
    if (size < 8 || size - 8 > c.remaining) return // perf stops at a bad entry too
    parseBuildIdBody(c.bytes(size - 8), hv.getUint16(4, true), file)
  }
}

/**
 * EVENT_DESC: u32 nr; u32 attr_size; { attr; u32 nr_ids; str name; u64 ids[nr_ids] }[nr].
 * Names go to the attr with the same index when counts agree, else to the attr owning its ids.
 */
function parseEventDesc(c: FeatureCursor, file: PerfFile): void {
  const nr = c.count(8)
  const attrSize = c.u32()
  const out: NonNullable<PerfFile['eventDesc']> = []
  for (let i = 0; i < nr; i++) {
    const raw = c.bytes(attrSize)
    const attr = parseEventAttr(new DataView(raw.buffer, raw.byteOffset, raw.length), 0, attrSize, 0)
    const nrIds = c.count(8)
    const name = c.string()
    const ids: number[] = []
    for (let j = 0; j < nrIds; j++) ids.push(c.u64())
    attr.name = name
    attr.ids = ids
    out.push({ name, ids, attr })
  }
  file.eventDesc = out
  for (let i = 0; i < out.length; i++) {
    const desc = out[i]!
    const byId = desc.ids.length ? file.attrIndexForId(desc.ids[0]!) : -1
    const index = out.length === file.attrs.length ? i : byId
    const target = file.attrs[index]
    if (!target) continue
    target.name = desc.name
    file.addIds(index, desc.ids)
  }
}

function parseGroupDesc(c: FeatureCursor, file: PerfFile): void {
  const nr = c.count(12)
  const groups: NonNullable<PerfFile['groupDesc']> = []
  for (let i = 0; i < nr; i++) groups.push({ name: c.string(), leaderIdx: c.u32(), nrMembers: c.u32() })
  file.groupDesc = groups
}

function parsePmuMappings(c: FeatureCursor, file: PerfFile): void {
  const nr = c.count(8)
  const maps: NonNullable<PerfFile['pmuMappings']> = []
  for (let i = 0; i < nr; i++) maps.push({ type: c.u32(), name: c.string() })
  file.pmuMappings = maps
}

const PARSERS: Record<number, FeatureParser> = {
  [F.BUILD_ID]: parseBuildIds,
  [F.HOSTNAME]: (c, f) => void (f.hostname = c.string()),
  [F.OSRELEASE]: (c, f) => void (f.osRelease = c.string()),
  [F.VERSION]: (c, f) => void (f.version = c.string()),
  [F.ARCH]: (c, f) => void (f.arch = c.string()),
  // The writer puts nr_cpus_avail first; the .txt doc has the order wrong (§1.3).
  [F.NRCPUS]: (c, f) => void (f.nrCpus = { available: c.u32(), online: c.u32() }),
  [F.CPUDESC]: (c, f) => void (f.cpuDesc = c.string()),
  [F.CPUID]: (c, f) => void (f.cpuId = c.string()),
  [F.TOTAL_MEM]: (c, f) => void (f.totalMem = c.u64()),
  [F.CMDLINE]: (c, f) => void (f.cmdline = c.stringList()),
  [F.EVENT_DESC]: parseEventDesc,
  [F.PMU_MAPPINGS]: parsePmuMappings,
  [F.GROUP_DESC]: parseGroupDesc,
  [F.SAMPLE_TIME]: (c, f) => void (f.sampleTime = { first: c.u64(), last: c.u64() }),
  [F.CLOCKID]: (c, f) => void (f.clockId = c.u64()),
  [F.CLOCK_DATA]: (c, f) =>
    void (f.clockData = { version: c.u32(), clockid: c.u32(), todNs: c.u64Big(), clockidNs: c.u64Big() }),
  [F.COMPRESSED]: (c, f) =>
    void (f.compressed = { ver: c.u32(), type: c.u32(), level: c.u32(), ratio: c.u32(), mmapLen: c.u32() }),
}

/** True for feature ids whose content the reader decodes (others need not be read at all). */
export function isDecodedFeature(feat: number): boolean {
  return PARSERS[feat] !== undefined
}

/**
 * Decode feature `feat` from `length` bytes at `start` of `view` (stream offset `fileOffset`).
 * Throws PerfDataError when the section is malformed; the caller decides whether that is fatal.
 */
export function parseFeature(
  feat: number, view: DataView, start: number, length: number, fileOffset: number, file: PerfFile,
): void {
  file.features.add(feat)
  const parser = PARSERS[feat]
  if (!parser) return
  parser(new FeatureCursor(view, start, length, fileOffset, `feature ${feat}`), file)
}
