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
 * Two ways to get it:
 *
 *   - compileBinaryTable: eager, every FDE. Compiling all of Debian 12's libc.so.6 (3,713 FDEs,
 *     25,212 rows → 28,377 entries) takes ~4-10 ms warm, but /usr/bin/node (75,922 FDEs → 373k
 *     entries) takes ~130-150 ms while a profile touches a few hundred of its FDEs. Used when the
 *     table is stored in the persistent cache (table-cache.ts), and for binaries the lazy path
 *     does not handle (no .eh_frame_hdr, .debug_frame to merge, .sframe only).
 *   - openLazyBinaryTable: finds the FDE for a pc through .eh_frame_hdr's sorted search table and
 *     compiles only that FDE, once (LazyBinaryTable). Same lookup results as the eager table.
 */
import { inflateSync } from 'node:zlib'
import { UnwindInfoError } from '../../parsers/common/errors.js'
import { zstdDecompress } from '../../parsers/common/zstd.js'
import type { PointerBases } from '../../parsers/dwarf-cfi/cursor.js'
import { parseCfiSection, SingleFdeParser, type CfiSectionKind, type FdeList } from '../../parsers/dwarf-cfi/entries.js'
import { parseEhFrameHdr } from '../../parsers/dwarf-cfi/eh-frame-hdr.js'
import type { ElfFile, ElfSection } from '../../parsers/elf/elf-file.js'
import { parseSframe } from '../../parsers/sframe/sframe.js'
import { CfiCompiler, compileFdes, newCompileStats, type CompileStats, type FdeRef } from './compile-cfi.js'
import { compileSframe } from './compile-sframe.js'
import { synthesizedPltCfi } from './plt-cfi.js'
import { OrcType } from './entry.js'
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
  if (lists.length > 0) {
    const table = compileFdes(withPltFdes(elf, selectFdes(lists, stats), stats), stats)
    markGoRuntimeFrames(elf, table)
    return { table, stats, sources }
  }
  const sf = elf.section('.sframe')
  const sfBytes = sf && elf.sectionData(sf)
  if (sf !== undefined && sfBytes !== undefined && sfBytes.byteLength > 0) {
    return { table: compileSframe(parseSframe(sfBytes, sf.addr), stats), stats, sources: ['sframe'] }
  }
  return { table: emptyTable(), stats, sources }
}

/** Go's asynchronous-preemption entry, under its ABI0 name (Go 1.17+) and its plain one. */
const GO_ASYNC_PREEMPT = new Set(['runtime.asyncPreempt.abi0', 'runtime.asyncPreempt'])
/**
 * Go assembly that moves SP in ways its CFI does not describe (Go's linker writes a CFA of sp +
 * frame size for every assembly function): systemstack, morestack and mcall switch to the g0
 * stack (mcall also pushes a word), asmcgocall switches to g0 and aligns SP for C, cgocallback
 * switches back to the goroutine's stack, rt0_go aligns SP; goexit is the return address a
 * goroutine's first function returns to. Go's own traceback stops at them (TOPFRAME, SPWRITE) or
 * goes on in the goroutine's stack, which is not in the sample's stack copy. Below them our walk
 * read stale stack words as return addresses: in a cgo program, 254 of 277 samples ended in a
 * made-up frame printed as reliable (perf stops at these functions too).
 */
const GO_STACK_ENDS = new Set(
  [
    'runtime.rt0_go', 'runtime.goexit', 'runtime.systemstack', 'runtime.morestack', 'runtime.mcall',
    'runtime.asmcgocall', 'runtime.asmcgocall_no_g', 'runtime.cgocallback',
  ].flatMap((n) => [n, `${n}.abi0`]),
)
const STT_FUNC = 2
const SIGNAL_BIT = 8
const TYPE_BITS = 7

/**
 * Corrections to a Go binary's table that its CFI cannot carry, found by symbol name:
 * - Go's signal handler preempts a goroutine by making it "call" runtime.asyncPreempt: it pushes
 *   the interrupted pc as a return address. That pc is exact, not a call site, so asyncPreempt's
 *   entries are marked as signal frames (the kernel's orc->signal): its caller is then looked up
 *   at that pc, not at pc - 1, as Go's own traceback does (funcID_asyncPreempt). Otherwise a
 *   goroutine preempted at the first instruction of a CFA row unwinds with the previous row, or
 *   in the function before it (seen in CI: a guessed frame below asyncPreempt, then guesses).
 * - The functions of GO_STACK_ENDS end the walk: END_OF_STACK entries.
 */
function markGoRuntimeFrames(elf: ElfFile, table: OrcTable): void {
  if (!elf.section('.go.buildinfo')) return
  const cols = elf.symbolColumns('symtab')
  if (!cols) return
  for (let i = 0; i < cols.count; i++) {
    if (cols.type(i) !== STT_FUNC) continue
    const name = cols.name(i)
    const preempt = GO_ASYNC_PREEMPT.has(name)
    if (!preempt && !GO_STACK_ENDS.has(name)) continue
    const start = cols.value[i]!
    const end = start + cols.size[i]!
    for (let k = Math.max(0, table.find(start)); k < table.length && table.ips[k]! < end; k++) {
      if (table.ips[k]! < start) continue
      const ts = table.typeSignal[k]!
      table.typeSignal[k] = preempt ? ts | SIGNAL_BIT : (ts & ~TYPE_BITS) | OrcType.END_OF_STACK
    }
  }
}

/** `accepted` plus the synthesized PLT FDEs (plt-cfi.ts) that no real FDE overlaps, by address. */
function withPltFdes(elf: ElfFile, accepted: FdeRef[], stats: CompileStats): FdeRef[] {
  const plt = synthesizedPltCfi(elf, stats)
  if (plt === undefined) return accepted
  const added: FdeRef[] = []
  for (let i = 0; i < plt.count; i++) if (!overlaps(accepted, plt.pcBegin[i]!, plt.pcEnd[i]!)) added.push({ list: plt, index: i })
  if (added.length === 0) return accepted
  return [...accepted, ...added].sort((a, b) => a.list.pcBegin[a.index]! - b.list.pcBegin[b.index]!)
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

/** Where a lookup's entry is: `table` (an eager table or one FDE's table) at `index`. */
export interface EntryRef {
  table: OrcTable | undefined
  index: number
}

/**
 * A binary's table compiled one FDE at a time, on first lookup in that FDE's range: the FDE is found
 * by binary search in .eh_frame_hdr's table (sorted by initial location), parsed, and compiled with
 * the same code as the eager table into a small OrcTable ending with a gap entry at the FDE's end.
 *
 * Lookups agree with compileBinaryTable's table: inside an FDE the rows are the same (an eager entry
 * merged with an identical neighbour across an FDE boundary holds the same state); between FDEs and
 * below the first one the eager table has a gap entry or nothing, and find() here returns either a
 * gap entry or false; both mean "frame-pointer guess" to the unwinder (undefinedIsGap).
 *
 * That equivalence needs .eh_frame's FDEs not to overlap (the eager selection drops an FDE that
 * overlaps an earlier one). GNU ld refuses to write a search table for overlapping FDEs; every FDE
 * compiled here is checked against its neighbours (previous FDE's end, next row's start, its own
 * pc_begin against the table row), and on any mismatch the whole binary switches to the eager table.
 */
export class LazyBinaryTable {
  stats = newCompileStats()
  /** FDEs compiled so far. */
  compiledFdes = 0
  /** Set when the lazy path gave up (inconsistent search table): lookups then use the eager table. */
  eager: OrcTable | undefined
  private readonly tables = new Map<number, OrcTable | null>()
  private readonly compiler = new CfiCompiler()
  private lastLo = 0
  private lastHi = 0
  private lastTable: OrcTable | null = null
  /** Entries for a PLT that .eh_frame does not cover (plt-cfi.ts), with the range they cover. */
  private plt: OrcTable | undefined
  private pltLo = 0
  private pltHi = 0

  constructor(
    private readonly elf: ElfFile,
    private readonly opts: BinaryTableOptions,
    private readonly initialLoc: Float64Array,
    /** Address of each row's FDE. */
    private readonly fdeAddr: Float64Array,
    /** Address of .eh_frame: fdeAddr - ehFrameAddr is the FDE's section offset. */
    private readonly ehFrameAddr: number,
    private readonly parser: SingleFdeParser,
  ) {
    this.addPlt()
  }

  /** Compile the synthesized PLT FDEs that no FDE of .eh_frame overlaps, as compileBinaryTable keeps them. */
  private addPlt(): void {
    const plt = synthesizedPltCfi(this.elf, this.stats)
    if (plt === undefined) return
    const refs: FdeRef[] = []
    for (let i = 0; i < plt.count; i++) if (!this.overlapsFde(plt.pcBegin[i]!, plt.pcEnd[i]!)) refs.push({ list: plt, index: i })
    if (refs.length === 0) return
    this.plt = compileFdes(refs, this.stats)
    this.pltLo = plt.pcBegin[refs[0]!.index]!
    this.pltHi = plt.pcEnd[refs[refs.length - 1]!.index]!
  }

  /**
   * Does an FDE of .eh_frame overlap [begin, end)? The rows' FDEs are sorted and do not overlap,
   * so only the last one starting below `end` can.
   */
  private overlapsFde(begin: number, end: number): boolean {
    const row = this.rowOf(end - 1)
    return row >= 0 && this.fdeEnd(row) > begin
  }

  /** The last search-table row whose FDE starts at or below `pc`, or -1. */
  private rowOf(pc: number): number {
    const locs = this.initialLoc
    let hi = locs.length - 1
    if (hi < 0 || !(pc >= locs[0]!)) return -1
    let lo = 0
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1
      if (locs[mid]! <= pc) lo = mid
      else hi = mid - 1
    }
    return lo
  }

  /** Entry covering svma `pc`; false when no FDE starts at or below pc. */
  find(pc: number, out: EntryRef): boolean {
    if (this.eager !== undefined) return this.findEager(pc, out)
    if (this.plt !== undefined && pc >= this.pltLo && pc < this.pltHi) {
      out.table = this.plt
      out.index = this.plt.find(pc)
      return out.index >= 0
    }
    let t: OrcTable | null | undefined
    if (pc >= this.lastLo && pc < this.lastHi) t = this.lastTable
    else {
      const locs = this.initialLoc
      const lo = this.rowOf(pc)
      if (lo < 0) return false
      t = this.tables.get(lo)
      if (t === undefined) {
        t = this.compileRow(lo)
        if (this.eager !== undefined) return this.findEager(pc, out)
        this.tables.set(lo, t)
      }
      // Search-table row `lo` owns [locs[lo], locs[lo + 1]): remember it for the next lookup.
      this.lastLo = locs[lo]!
      this.lastHi = lo + 1 < locs.length ? locs[lo + 1]! : Number.POSITIVE_INFINITY
      this.lastTable = t
    }
    if (t === null) return false
    const i = t.find(pc)
    if (i < 0) return false
    out.table = t
    out.index = i
    return true
  }

  private findEager(pc: number, out: EntryRef): boolean {
    const t = this.eager!
    const i = t.find(pc)
    if (i < 0) return false
    out.table = t
    out.index = i
    return true
  }

  /** Compile the FDE of search-table row k; null when the FDE is unusable (the eager walk skips it too). */
  private compileRow(k: number): OrcTable | null {
    // The previous FDE first: parseAt refills one list, which must then hold FDE k for compiling.
    const prevEnd = k > 0 ? this.fdeEnd(k - 1) : Number.NEGATIVE_INFINITY
    const fde = this.parser.parseAt(this.fdeAddr[k]! - this.ehFrameAddr)
    if (typeof fde === 'string') {
      this.stats[fde]++
      return null
    }
    const begin = fde.pcBegin[0]!
    const end = fde.pcEnd[0]!
    const next = k + 1 < this.initialLoc.length ? this.initialLoc[k + 1]! : Number.POSITIVE_INFINITY
    const consistent = begin === this.initialLoc[k] && end <= next && !(prevEnd > begin)
    if (!consistent) {
      const whole = compileBinaryTable(this.elf, this.opts)
      this.eager = whole.table
      this.stats = whole.stats
      this.tables.clear()
      return null
    }
    this.compiledFdes++
    return this.compiler.compile([{ list: fde, index: 0 }], this.stats)
  }

  /** End of search-table row k's FDE, or -Infinity when it does not parse. */
  private fdeEnd(k: number): number {
    const fde = this.parser.parseAt(this.fdeAddr[k]! - this.ehFrameAddr)
    return typeof fde === 'string' ? Number.NEGATIVE_INFINITY : fde.pcEnd[0]!
  }
}

/**
 * A LazyBinaryTable for `elf`, or undefined when the lazy path does not apply and the caller should
 * compile eagerly: no .eh_frame or .eh_frame_hdr (or no search table in it, or one not strictly
 * sorted), .eh_frame_hdr not pointing at .eh_frame, or .debug_frame FDEs to merge (in the binary or
 * its debug file).
 */
export function openLazyBinaryTable(elf: ElfFile, opts: BinaryTableOptions = {}): LazyBinaryTable | undefined {
  const ehSec = elf.section('.eh_frame')
  const hdrSec = elf.section('.eh_frame_hdr')
  if (ehSec === undefined || hdrSec === undefined || (ehSec.flags & SHF_COMPRESSED) !== 0) return undefined
  if (elf.section('.debug_frame') !== undefined || opts.debugFile?.section('.debug_frame') !== undefined) return undefined
  let hdr
  try {
    hdr = parseEhFrameHdr(elf.sectionData(hdrSec), hdrSec.addr)
  } catch (e) {
    if (e instanceof UnwindInfoError) return undefined
    throw e
  }
  if (hdr.initialLoc.length === 0 || !hdr.increasing || hdr.ehFramePtr !== ehSec.addr) return undefined
  const bytes = elf.sectionData(ehSec)
  if (bytes.byteLength === 0) return undefined
  const parser = new SingleFdeParser({ kind: 'eh_frame', bytes, bases: pointerBases(elf, ehSec) })
  return new LazyBinaryTable(elf, opts, hdr.initialLoc, hdr.fdeAddr, ehSec.addr, parser)
}
