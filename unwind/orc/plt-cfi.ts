/**
 * Call-frame information for a PLT that has none. GNU ld writes an FDE for x86-64's .plt and
 * .plt.got (bfd/elfxx-x86.c, elf_x86_64_eh_frame_plt), but lld (Rust's default linker) writes
 * none. Without it, a sample in a PLT stub or in lazy binding called from one took the
 * frame-pointer guess, and skipped the caller.
 *
 * This builds the FDEs GNU ld writes, as a .debug_frame, so that the CFI compiler turns them into
 * exactly the entries a GNU ld binary's PLT gets:
 *
 *   PLT0, 16 bytes: push GOT+8; jmp *GOT+16           CFA = rsp+16, rsp+24 after the push
 *   entry, 16 bytes: jmp *GOT[n]; push $n; jmp PLT0    CFA = rsp+8 + ((rip & 15) >= 11 ? 8 : 0)
 *   .plt.got, 8 bytes an entry: jmp *GOT[n]           CFA = rsp+8 (the CIE's rule)
 *
 * Only that layout is synthesized: a .plt.sec (IBT PLT, whose .plt entries start with endbr64)
 * has another one and gets nothing.
 */
import { parseCfiSection, type FdeList } from '../../parsers/dwarf-cfi/entries.js'
import type { ElfFile, ElfSection } from '../../parsers/elf/elf-file.js'
import type { CompileStats } from './compile-cfi.js'

const PLT_ENTRY = 16

/** CIE: version 1, no augmentation, code align 1, data align -8, RA column 16; CFA = rsp+8, RA at CFA-8. */
const CIE = [
  0xff, 0xff, 0xff, 0xff, 1, 0, 1, 0x78, 16,
  0x0c, 7, 8, // DW_CFA_def_cfa rsp, 8
  0x90, 1, // DW_CFA_offset r16 (rip), 1 * -8
]

/** The lazy PLT's instructions, as GNU ld writes them. */
const PLT_INSTRUCTIONS = [
  0x0e, 16, // DW_CFA_def_cfa_offset 16
  0x46, // DW_CFA_advance_loc 6
  0x0e, 24, // DW_CFA_def_cfa_offset 24
  0x4a, // DW_CFA_advance_loc 10
  // DW_CFA_def_cfa_expression: breg7 (rsp) 8; breg16 (rip) 0; lit15; and; lit11; ge; lit3; shl; plus
  0x0f, 11, 0x77, 8, 0x80, 0, 0x3f, 0x1a, 0x3b, 0x2a, 0x33, 0x24, 0x22,
]

/** The synthesized FDEs for `elf`'s .plt and .plt.got, or undefined when it has neither in GNU ld's layout. */
export function synthesizedPltCfi(elf: ElfFile, stats: CompileStats): FdeList | undefined {
  if (elf.machine !== 62 || elf.section('.plt.sec') !== undefined) return undefined // x86-64, no IBT PLT
  const plt = usable(elf.section('.plt'))
  const got = usable(elf.section('.plt.got'))
  if (plt === undefined && got === undefined) return undefined
  const bytes: number[] = []
  entry(bytes, CIE)
  if (plt !== undefined && plt.size >= 2 * PLT_ENTRY && plt.size % PLT_ENTRY === 0) fde(bytes, plt, PLT_INSTRUCTIONS)
  if (got !== undefined) fde(bytes, got, [])
  const list = parseCfiSection({ kind: 'debug_frame', bytes: Uint8Array.from(bytes), bases: { sectionAddr: 0 } }, stats)
  return list.count > 0 ? list : undefined
}

function usable(s: ElfSection | undefined): ElfSection | undefined {
  return s !== undefined && s.size > 0 && s.addr !== 0 ? s : undefined
}

/** An FDE for all of `sec`, whose CIE is at offset 0 of the section. */
function fde(out: number[], sec: ElfSection, instructions: readonly number[]): void {
  entry(out, [0, 0, 0, 0, ...u64(sec.addr), ...u64(sec.size), ...instructions])
}

/** A length-prefixed entry, padded with DW_CFA_nop to a multiple of 8 bytes. */
function entry(out: number[], body: readonly number[]): void {
  const padded = [...body]
  while ((padded.length + 4) % 8 !== 0) padded.push(0)
  out.push(...u32(padded.length), ...padded)
}

function u32(n: number): number[] {
  return [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff]
}

function u64(n: number): number[] {
  return [...u32(n % 4294967296), ...u32(Math.floor(n / 4294967296))]
}
