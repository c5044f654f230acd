/**
 * Reads the kernel's ORC tables (.orc_unwind_ip, .orc_unwind, .orc_header) out of a vmlinux or a
 * .ko, keeping the raw on-disk fields (so a dump can print exactly what objtool prints for that
 * kernel generation) plus where each entry's address points.
 *
 *   .orc_unwind_ip  s32[n]   self-relative: ip_i = sh_addr + 4*i + value_i       (linked image)
 *                            or 0 + R_X86_64_PC32 reloc at 4*i: S + A            (ET_REL .ko)
 *   .orc_unwind     6*n      s16 sp_offset, s16 bp_offset, u16 flags (layout per versions.ts)
 *   .orc_header     20       SHA-1 naming the layout (v6.4+, 6.3.10+)
 *
 * Sizes are checked the way unwind_module_init does (ip % 4, orc % 6, equal counts) and every
 * fault is an UnwindInfoError carrying the file offset of the bad section or relocation.
 */
import { UnwindInfoError } from '../common/errors.js'
import type { Addr } from '../common/addr.js'
import { ElfFile, ET_REL, SHT_NOBITS, SHT_RELA, STT_SECTION, type ElfSection } from '../elf/elf-file.js'
import type { OrcEntry } from '../../unwind/orc/entry.js'
import {
  decodeOrcFlags,
  formatFromOrcHeader,
  formatFromRelease,
  parseKernelRelease,
  ORC_HEADER_BYTES,
  type OrcFormat,
  type OrcFormatSource,
} from './versions.js'
import { findKernelRelease } from './release.js'

const R_X86_64_PC32 = 2
/** vmlinux 6.x has ~370k entries; 16M (100 MB of .orc_unwind) is no real kernel. */
export const MAX_ORC_ENTRIES = 1 << 24
const SHN_LORESERVE = 0xff00

export interface KernelOrcOptions {
  /** Skip detection and decode as this layout. */
  format?: OrcFormat
  /** Kernel release (uname -r) for files without .orc_header, e.g. a vmlinux. */
  release?: string
}

/** Where an ET_REL entry points: a section of the module plus an offset into it. */
export interface OrcSite {
  /** Index into ElfFile.sections of the text section, -1 for absolute addresses. */
  section: number
  sectionName: string
  /** Offset inside that section (ET_REL) or the absolute address (linked image). */
  offset: Addr
  /** What objtool prints before the colon: section or symbol name, and the reloc addend. */
  symbolName: string
  addend: Addr
}

export class KernelOrc {
  constructor(
    readonly file: string,
    readonly format: OrcFormat,
    readonly formatSource: OrcFormatSource,
    readonly release: string | undefined,
    /** True for ET_REL (.ko/.o): addresses are section + offset, see `site`. */
    readonly relocatable: boolean,
    /** Absolute ip (linked) or offset in `sectionOf[i]` (ET_REL). */
    readonly ips: Float64Array,
    /** ET_REL: ElfFile section index per entry; linked: all -1. */
    readonly sectionOf: Int32Array,
    readonly spOffset: Int16Array,
    readonly bpOffset: Int16Array,
    /** Raw on-disk flags word per entry; meaning depends on `format`. */
    readonly flags: Uint16Array,
    /** ET_REL: objtool's label per entry ("<name>+<addend>"), parts kept for printing. */
    readonly labels: readonly { name: string; addend: Addr }[] | undefined,
    /** Names of ElfFile sections by index, for reporting. */
    readonly sectionNames: readonly string[],
  ) {}

  get length(): number {
    return this.ips.length
  }

  /** Entry i in the internal (v6.4..v7.0) numbering. */
  entry(i: number): OrcEntry {
    return decodeOrcFlags(this.format, this.flags[i]!, this.spOffset[i]!, this.bpOffset[i]!)
  }

  /** Section and offset of entry i (what objtool's section+offset label means). */
  site(i: number): OrcSite {
    const s = this.sectionOf[i]!
    const label = this.labels?.[i]
    return {
      section: s,
      sectionName: s >= 0 ? (this.sectionNames[s] ?? '') : '',
      offset: this.ips[i]!,
      symbolName: label?.name ?? '',
      addend: label?.addend ?? this.ips[i]!,
    }
  }
}

/** Whether the file carries ORC tables at all (most user-space ELF files do not). */
export function hasKernelOrc(elf: ElfFile): boolean {
  return elf.section('.orc_unwind') !== undefined && elf.section('.orc_unwind_ip') !== undefined
}

/** Read and validate the ORC tables of a vmlinux or kernel module. */
export function readKernelOrc(elf: ElfFile, opts: KernelOrcOptions = {}): KernelOrc {
  const ipSec = requireSection(elf, '.orc_unwind_ip')
  const orcSec = requireSection(elf, '.orc_unwind')
  const n = checkSizes(elf, ipSec, orcSec)
  const { format, source, release } = detectFormat(elf, opts)
  const orc = elf.sectionData(orcSec)
  const ov = new DataView(orc.buffer, orc.byteOffset, orc.byteLength)
  const spOffset = new Int16Array(n)
  const bpOffset = new Int16Array(n)
  const flags = new Uint16Array(n)
  for (let i = 0; i < n; i++) {
    spOffset[i] = ov.getInt16(i * 6, true)
    bpOffset[i] = ov.getInt16(i * 6 + 2, true)
    flags[i] = ov.getUint16(i * 6 + 4, true)
  }
  const ips = new Float64Array(n)
  const sectionOf = new Int32Array(n).fill(-1)
  const relaSec = elf.sections.find((s) => s.type === SHT_RELA && s.info === ipSec.index)
  let labels: { name: string; addend: Addr }[] | undefined
  if (elf.type === ET_REL && relaSec) labels = applyRelocations(elf, ipSec, relaSec, n, ips, sectionOf)
  else selfRelativeIps(elf, ipSec, n, ips)
  const names = elf.sections.map((s) => s.name)
  return new KernelOrc(elf.name, format, source, release, labels !== undefined, ips, sectionOf, spOffset, bpOffset, flags, labels, names)
}

function requireSection(elf: ElfFile, name: string): ElfSection {
  const s = elf.section(name)
  if (!s) throw new UnwindInfoError(`${elf.name}: no ${name} section`, 0)
  if (s.type === SHT_NOBITS) throw new UnwindInfoError(`${elf.name}: ${name} has no file contents (SHT_NOBITS)`, s.offset)
  return s
}

/** unwind_module_init's checks, plus a cap so garbage cannot make us allocate gigabytes. */
function checkSizes(elf: ElfFile, ipSec: ElfSection, orcSec: ElfSection): number {
  if (ipSec.size % 4 !== 0) {
    throw new UnwindInfoError(`${elf.name}: .orc_unwind_ip size ${ipSec.size} is not a multiple of 4`, ipSec.offset)
  }
  if (orcSec.size % 6 !== 0) {
    throw new UnwindInfoError(`${elf.name}: .orc_unwind size ${orcSec.size} is not a multiple of 6`, orcSec.offset)
  }
  const n = ipSec.size / 4
  if (orcSec.size / 6 !== n) {
    throw new UnwindInfoError(
      `${elf.name}: .orc_unwind_ip has ${n} entries but .orc_unwind has ${orcSec.size / 6}`,
      orcSec.offset,
    )
  }
  if (n > MAX_ORC_ENTRIES) throw new UnwindInfoError(`${elf.name}: ${n} ORC entries is more than any kernel has`, ipSec.offset)
  return n
}

/** Linked image: ip_i = sh_addr + 4*i + s32 (orc_dump.c's non-rela path, unwind_orc.c orc_ip). */
function selfRelativeIps(elf: ElfFile, ipSec: ElfSection, n: number, ips: Float64Array): void {
  const data = elf.sectionData(ipSec)
  const v = new DataView(data.buffer, data.byteOffset, data.byteLength)
  for (let i = 0; i < n; i++) ips[i] = ipSec.addr + 4 * i + v.getInt32(i * 4, true)
}

/**
 * ET_REL: the slot values are 0 until the module loader applies `.rela.orc_unwind_ip`, one
 * R_X86_64_PC32 per slot (orc_gen.c: offset idx*4). Its value S + A - P makes ip = P + value = S + A,
 * so the entry's address is the symbol's section plus (symbol value + addend): section symbols
 * (GCC) carry the instruction offset in the addend, function symbols (Clang) the offset in the function.
 */
function applyRelocations(
  elf: ElfFile,
  ipSec: ElfSection,
  relaSec: ElfSection,
  n: number,
  ips: Float64Array,
  sectionOf: Int32Array,
): { name: string; addend: Addr }[] {
  const { rela, symtab } = elf.relocationsFor(ipSec)
  const syms = symtab ? elf.symbolsOf(symtab) : []
  const labels: ({ name: string; addend: Addr } | undefined)[] = new Array(n)
  rela.forEach((r, k) => {
    const at = relaSec.offset + 24 * k
    if (r.type !== R_X86_64_PC32) throw new UnwindInfoError(`${elf.name}: .rela.orc_unwind_ip entry ${k} has type ${r.type}, expected R_X86_64_PC32`, at)
    if (r.offset % 4 !== 0 || !(r.offset < n * 4)) {
      throw new UnwindInfoError(`${elf.name}: .rela.orc_unwind_ip entry ${k} targets offset 0x${r.offset.toString(16)} outside the ${n} slots`, at)
    }
    const sym = syms[r.symIndex]
    if (!sym || sym.shndx === 0 || sym.shndx >= SHN_LORESERVE || sym.shndx >= elf.sections.length) {
      throw new UnwindInfoError(`${elf.name}: .rela.orc_unwind_ip entry ${k} names symbol ${r.symIndex}, which is not defined in a section`, at)
    }
    const slot = r.offset / 4
    const isSection = sym.type === STT_SECTION
    sectionOf[slot] = sym.shndx
    ips[slot] = (isSection ? 0 : sym.value) + r.addend
    labels[slot] = { name: isSection ? elf.sections[sym.shndx]!.name : sym.name, addend: r.addend }
  })
  const missing = labels.findIndex((l) => l === undefined)
  if (missing >= 0 || labels.length !== n) {
    throw new UnwindInfoError(`${elf.name}: .orc_unwind_ip slot ${missing} has no relocation`, ipSec.offset + 4 * Math.max(missing, 0))
  }
  return labels as { name: string; addend: Addr }[]
}

/** Format by .orc_header hash, else by kernel release, else the pre-6.3 layout. */
function detectFormat(
  elf: ElfFile,
  opts: KernelOrcOptions,
): { format: OrcFormat; source: OrcFormatSource; release: string | undefined } {
  const releaseText = opts.release ?? findKernelRelease(elf)
  if (opts.format) return { format: opts.format, source: 'forced', release: releaseText }
  const header = elf.section('.orc_header')
  if (header && header.type !== SHT_NOBITS) {
    if (header.size !== ORC_HEADER_BYTES) {
      throw new UnwindInfoError(`${elf.name}: .orc_header is ${header.size} bytes, expected ${ORC_HEADER_BYTES}`, header.offset)
    }
    const format = formatFromOrcHeader(elf.sectionData(header))
    if (!format) throw new UnwindInfoError(`${elf.name}: unknown .orc_header hash (newer ORC layout?)`, header.offset)
    return { format, source: 'orc_header', release: releaseText }
  }
  const rel = releaseText !== undefined ? parseKernelRelease(releaseText) : undefined
  if (rel) return { format: formatFromRelease(rel), source: 'release', release: releaseText }
  // Every kernel since 6.4 (and 6.3.10) writes .orc_header, so its absence means an older layout.
  return { format: 'v4.14', source: 'assumed', release: releaseText }
}
