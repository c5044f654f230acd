/**
 * The start of a recording: the 16-byte magic+size prefix shared by both layouts, then (file
 * mode) perf_file_header, the attr section with its ids, and the feature section table.
 * Layout: perf-data-format.md §1. Everything here runs before the first record, so faults throw.
 */
import { PerfDataError } from '../common/errors.js'
import { readU64, u64Hex } from '../common/addr.js'
import { parseEventAttr } from './attr.js'
import {
  ATTR_SIZE_VER0, FILE_HEADER_SIZE, MAGIC_HI, MAGIC_LO, OLD_FILE_HEADER_SIZE, PIPE_HEADER_SIZE,
} from './constants.js'
import { isDecodedFeature, parseFeature } from './features.js'
import type { PerfFile } from './perf-file.js'

/** Random access to the bytes of the recording: `length` bytes at `offset`, or PerfDataError. */
export type ReadAt = (offset: number, length: number, what: string) => Promise<DataView>

/** perf_file_section { u64 offset; u64 size } */
export interface Section {
  offset: number
  size: number
}

export interface FileHeader {
  pipe: boolean
  headerSize: number
  attrSize: number
  attrs: Section
  data: Section
  /** Feature bits set in adds_features, ascending. */
  featureBits: number[]
}

/** Largest attr section / feature section we read into memory; real ones are kilobytes. */
export const MAX_SECTION_BYTES = 64 << 20

function section(view: DataView, off: number): Section {
  return { offset: readU64(view, off), size: readU64(view, off + 8) }
}

/** Check the 16-byte prefix: "PERFILE2" and the header size that tells pipe from file. */
export function parsePrefix(view: DataView): { pipe: boolean; headerSize: number } {
  if (view.byteLength < 16) {
    throw new PerfDataError(`only ${view.byteLength} bytes, shorter than the 16-byte perf.data header`, 0)
  }
  const lo = view.getUint32(0, true), hi = view.getUint32(4, true)
  if (lo !== MAGIC_LO || hi !== MAGIC_HI) {
    const text = String.fromCharCode(...new Uint8Array(view.buffer, view.byteOffset, 8))
    if (text === '2ELIFREP') throw new PerfDataError('big-endian perf.data files are not supported', 0)
    if (text === 'PERFFILE') throw new PerfDataError('legacy PERFFILE (v1) format is not supported', 0)
    throw new PerfDataError(`bad magic ${JSON.stringify(text)}, expected "PERFILE2"`, 0)
  }
  const size = readU64(view, 8)
  if (size === PIPE_HEADER_SIZE) return { pipe: true, headerSize: size }
  if (size === FILE_HEADER_SIZE || size === OLD_FILE_HEADER_SIZE) return { pipe: false, headerSize: size }
  throw new PerfDataError(`header size ${size} is neither 16 (pipe) nor 104 (file)`, 8)
}

/** perf_file_header after the prefix; `view` holds the whole header (headerSize bytes). */
export function parseFileHeader(view: DataView, headerSize: number, fileSize: number | undefined): FileHeader {
  const h: FileHeader = {
    pipe: false, headerSize, attrSize: readU64(view, 16), attrs: section(view, 24),
    data: section(view, 40), featureBits: [],
  }
  if (h.attrSize < ATTR_SIZE_VER0 + 16 || h.attrSize > MAX_SECTION_BYTES) {
    throw new PerfDataError(`attr_size ${h.attrSize} is smaller than a 64-byte attr plus its ids section`, 16)
  }
  const limit = fileSize ?? Number.MAX_SAFE_INTEGER
  for (const [name, s, at] of [['attrs', h.attrs, 24], ['data', h.data, 40]] as const) {
    // A data section running past the end is a recording cut short (perf killed, disk full):
    // read what is there; the framer reports where it ends. The attrs must be whole.
    const cut = name === 'data' && s.offset <= limit
    if (s.offset < headerSize || s.offset > limit || (!cut && s.size > limit - s.offset)) {
      throw new PerfDataError(`${name} section [${u64Hex(s.offset)}, +${u64Hex(s.size)}) is outside the file`, at)
    }
  }
  if (h.attrs.size > MAX_SECTION_BYTES) throw new PerfDataError(`attr section of ${h.attrs.size} bytes is absurd`, 32)
  if (headerSize === FILE_HEADER_SIZE) {
    for (let bit = 0; bit < 256; bit++) {
      if (view.getUint8(72 + (bit >> 3)) & (1 << (bit & 7))) h.featureBits.push(bit)
    }
  }
  return h
}

/**
 * Attr section: perf_file_attr { attr (attr.size bytes); perf_file_section ids } repeated
 * attrs.size / attr_size times. Like perf's read_attr we step by attr.size + 16, so files whose
 * attrs are of another ABI version than ours read correctly.
 */
export async function readAttrs(h: FileHeader, readAt: ReadAt, file: PerfFile): Promise<void> {
  const nr = Math.floor(h.attrs.size / h.attrSize)
  if (nr === 0) throw new PerfDataError('the file has no event attrs', h.attrs.offset)
  const view = await readAt(h.attrs.offset, h.attrs.size, 'attr section')
  let p = 0
  for (let i = 0; i < nr; i++) {
    const at = h.attrs.offset + p
    const attr = parseEventAttr(view, p, view.byteLength - p - 16, at)
    const ids = section(view, p + attr.size)
    const idsAt = at + attr.size // where the ids perf_file_section is: the fault's place
    p += attr.size + 16
    if (ids.size % 8 !== 0 || ids.size > MAX_SECTION_BYTES) {
      throw new PerfDataError(`ids section size ${ids.size} of attr ${i} is invalid`, idsAt + 8)
    }
    if (ids.size > 0) {
      const idView = await readIds(readAt, ids, i, idsAt)
      for (let j = 0; j < ids.size; j += 8) attr.ids.push(readU64(idView, j))
    }
    file.addAttr(attr)
  }
}

/** An attr's ids; a section outside the input is reported where the section is declared. */
async function readIds(readAt: ReadAt, ids: Section, i: number, idsAt: number): Promise<DataView> {
  try {
    return await readAt(ids.offset, ids.size, `ids of attr ${i}`)
  } catch (e) {
    if (!(e instanceof PerfDataError)) throw e
    throw new PerfDataError(`ids section [${u64Hex(ids.offset)}, +${u64Hex(ids.size)}) of attr ${i} is outside the file`, idsAt)
  }
}

/**
 * Feature sections: a table of perf_file_section at data.offset + data.size, one per set bit in
 * ascending order. A damaged feature is a warning, not a reason to refuse the samples.
 */
export async function readFeatures(h: FileHeader, readAt: ReadAt, file: PerfFile, warnings: string[]): Promise<void> {
  if (h.featureBits.length === 0 || h.data.size === 0) return
  let table: DataView
  try {
    table = await readAt(file.featOffset, h.featureBits.length * 16, 'feature section table')
  } catch (e) {
    if (e instanceof PerfDataError) return void warnings.push(e.message)
    throw e
  }
  for (let i = 0; i < h.featureBits.length; i++) {
    const feat = h.featureBits[i]!
    const s = section(table, i * 16)
    file.features.add(feat)
    if (!isDecodedFeature(feat)) continue
    try {
      if (s.size > MAX_SECTION_BYTES) throw new PerfDataError(`feature ${feat} section of ${s.size} bytes is absurd`, file.featOffset + i * 16)
      const view = await readAt(s.offset, s.size, `feature ${feat} section`)
      parseFeature(feat, view, 0, s.size, s.offset, file)
    } catch (e) {
      if (!(e instanceof PerfDataError)) throw e
      warnings.push(e.message)
    }
  }
}
