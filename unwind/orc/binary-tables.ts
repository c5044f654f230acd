/**
 * The ORC table for one user-space ELF binary, compiled from whatever unwind info it carries:
 *
 *   1. .eh_frame (what the C runtime unwinds with; present in nearly every binary),
 *   2. plus .debug_frame FDEs (from the binary or its separate debug file) for ranges .eh_frame
 *      lacks (code built with -fno-asynchronous-unwind-tables -g has only .debug_frame),
 *   3. .sframe only when there is no CFI at all (it cannot express DRAP, PLT0 or signal frames).
 *
 * Addresses are the ELF's own virtual addresses (svma); the caller adds the load bias.
 *
 * Eager, not lazy: compiling all of Debian 12's libc.so.6 (3,713 FDEs, 25,212 rows → 28,377
 * entries) takes ~4-10 ms once V8 has optimised this code (plain node, 2-core VM) and 50-110 ms on
 * the very first call of a process (mostly JIT warm-up, paid once: ld.so right after takes ~1 ms).
 * That is within the 100 ms budget, so every FDE is compiled up front rather than lazily through
 * .eh_frame_hdr's search table; tables are also cached on disk by build-id (table-cache.ts).
 */
import { inflateSync } from 'node:zlib'
import { decompress as zstdDecompress } from 'fzstd'
import { UnwindInfoError } from '../../parsers/common/errors.js'
import type { PointerBases } from '../../parsers/dwarf-cfi/cursor.js'
import { parseCfiSection, type CfiSectionKind, type FdeList } from '../../parsers/dwarf-cfi/entries.js'
import type { ElfFile, ElfSection } from '../../parsers/elf/elf-file.js'
import { parseSframe } from '../../parsers/sframe/sframe.js'
import { compileFdes, newCompileStats, type CompileStats, type FdeRef } from './compile-cfi.js'
import { compileSframe } from './compile-sframe.js'
import { OrcTable } from './table.js'

export type UnwindSource = 'eh_frame' | 'debug_frame' | 'sframe'

export interface BinaryTable {
  table: OrcTable
  stats: CompileStats
  /** Which sections contributed FDEs, in priority order (empty: no unwind info at all). */
  sources: UnwindSource[]
}

export interface BinaryTableOptions {
  /** Separate debug file (found by the caller via build-id or .gnu_debuglink): its .debug_frame is used too. */
  debugFile?: ElfFile
}

const SHF_COMPRESSED = 0x800
const ELFCOMPRESS_ZLIB = 1
const ELFCOMPRESS_ZSTD = 2

/**
 * Compile the binary's table. Never throws for corrupt FDEs (they are counted in `stats`); throws
 * UnwindInfoError only for an unreadable section header (.sframe header, compressed-section header).
 */
export function compileBinaryTable(elf: ElfFile, opts: BinaryTableOptions = {}): BinaryTable {
  const stats = newCompileStats()
  const lists: FdeList[] = []
  const sources: UnwindSource[] = []
  const eh = cfiList(elf, '.eh_frame', 'eh_frame', stats)
  if (eh !== undefined) {
    lists.push(eh)
    sources.push('eh_frame')
  }
  const df = cfiList(elf, '.debug_frame', 'debug_frame', stats) ?? (opts.debugFile && cfiList(opts.debugFile, '.debug_frame', 'debug_frame', stats))
  if (df !== undefined) {
    lists.push(df)
    sources.push('debug_frame')
  }
  if (lists.length > 0) return { table: compileFdes(selectFdes(lists, stats), stats), stats, sources }
  const sf = elf.section('.sframe')
  const sfBytes = sf && elf.sectionData(sf)
  if (sf !== undefined && sfBytes !== undefined && sfBytes.byteLength > 0) {
    return { table: compileSframe(parseSframe(sfBytes, sf.addr), stats), stats, sources: ['sframe'] }
  }
  return { table: emptyTable(), stats, sources }
}

/** No unwind info: every lookup misses, so the unwinder uses its frame-pointer fallback. */
function emptyTable(): OrcTable {
  const t = new OrcTable(new Float64Array(0), new Int16Array(0), new Int16Array(0), new Uint8Array(0), new Uint8Array(0))
  t.undefinedIsGap = true
  return t
}

function cfiList(elf: ElfFile, name: string, kind: CfiSectionKind, stats: CompileStats): FdeList | undefined {
  const sec = elf.section(name)
  if (sec === undefined) return undefined
  const bytes = sectionBytes(elf, sec)
  if (bytes.byteLength === 0) return undefined
  const list = parseCfiSection({ kind, bytes, bases: pointerBases(elf, sec) }, stats)
  return list.count > 0 ? list : undefined
}

/** Section contents, decompressed when SHF_COMPRESSED (debug files often compress .debug_frame). */
function sectionBytes(elf: ElfFile, sec: ElfSection): Uint8Array {
  const raw = elf.sectionData(sec)
  if ((sec.flags & SHF_COMPRESSED) === 0) return raw
  // Elf64_Chdr: u32 ch_type, u32 reserved, u64 ch_size, u64 ch_addralign; data follows.
  if (raw.byteLength < 24) throw new UnwindInfoError(`${elf.name}: ${sec.name} compression header truncated`, sec.offset)
  const v = new DataView(raw.buffer, raw.byteOffset, raw.byteLength)
  const type = v.getUint32(0, true)
  try {
    if (type === ELFCOMPRESS_ZLIB) return new Uint8Array(inflateSync(raw.subarray(24)))
    if (type === ELFCOMPRESS_ZSTD) return zstdDecompress(raw.subarray(24))
  } catch (e) {
    throw new UnwindInfoError(`${elf.name}: ${sec.name} does not decompress (${(e as Error).message})`, sec.offset + 24)
  }
  throw new UnwindInfoError(`${elf.name}: ${sec.name} uses unknown compression type ${type}`, sec.offset)
}

function pointerBases(elf: ElfFile, sec: ElfSection): PointerBases {
  return {
    sectionAddr: sec.addr,
    text: elf.section('.text')?.addr,
    // x86-64 DW_EH_PE_datarel inside .eh_frame is relative to the GOT (binutils uses .got.plt's start).
    data: (elf.section('.got.plt') ?? elf.section('.got'))?.addr,
    readPointer: (vaddr) => readPointerAt(elf, vaddr),
  }
}

function readPointerAt(elf: ElfFile, vaddr: number): number | undefined {
  const s = elf.sections.find((x) => x.addr !== 0 && vaddr >= x.addr && vaddr + 8 <= x.addr + x.size)
  if (s === undefined) return undefined
  const d = elf.sectionData(s)
  const off = vaddr - s.addr
  if (off + 8 > d.byteLength) return undefined
  const v = new DataView(d.buffer, d.byteOffset + off, 8)
  const hi = v.getUint32(4, true)
  return hi >= 0x200000 ? undefined : hi * 4294967296 + v.getUint32(0, true)
}

/**
 * Pick non-overlapping FDEs sorted by address. Lists are in priority order: an FDE of a later list
 * (.debug_frame) is dropped when it overlaps an accepted FDE of an earlier one (.eh_frame); inside
 * one list the first FDE by address wins and later overlapping ones are counted and dropped.
 */
export function selectFdes(lists: readonly FdeList[], stats: CompileStats): FdeRef[] {
  let accepted: FdeRef[] = []
  for (let li = 0; li < lists.length; li++) {
    const list = lists[li]!
    const prior = accepted
    const order = addressOrder(list)
    const added: FdeRef[] = []
    let prevEnd = Number.NEGATIVE_INFINITY
    for (const index of order) {
      const begin = list.pcBegin[index]!
      const end = list.pcEnd[index]!
      if (li > 0 && overlaps(prior, begin, end)) stats.debugFrameShadowed++
      else if (begin < prevEnd) stats.overlappingFde++
      else {
        added.push({ list, index })
        prevEnd = end
      }
    }
    accepted = li === 0 ? added : [...prior, ...added].sort((a, b) => a.list.pcBegin[a.index]! - b.list.pcBegin[b.index]!)
  }
  return accepted
}

/** FDE indices by pcBegin. Linkers usually emit .eh_frame in address order already: check first. */
function addressOrder(list: FdeList): Uint32Array {
  const order = new Uint32Array(list.count)
  let sorted = true
  for (let i = 0; i < list.count; i++) {
    order[i] = i
    if (i > 0 && list.pcBegin[i]! < list.pcBegin[i - 1]!) sorted = false
  }
  if (sorted) return order
  return Uint32Array.from(Array.from(order).sort((a, b) => list.pcBegin[a]! - list.pcBegin[b]! || a - b))
}

/** Does [begin, end) overlap any of `refs` (sorted, non-overlapping)? Binary search. */
function overlaps(refs: readonly FdeRef[], begin: number, end: number): boolean {
  let lo = 0
  let hi = refs.length - 1
  let found = -1
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1
    const r = refs[mid]!
    if (r.list.pcBegin[r.index]! < end) {
      found = mid
      lo = mid + 1
    } else hi = mid - 1
  }
  if (found < 0) return false
  const r = refs[found]!
  return r.list.pcEnd[r.index]! > begin
}
