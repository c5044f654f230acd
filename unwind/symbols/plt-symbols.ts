/**
 * Names for PLT stubs, synthesized from .rela.plt as perf's dso__synthesize_plt_symbols does:
 * stub i of .plt.sec (IBT builds) or of .plt after its 16-byte header belongs to relocation i and
 * is named "<symbol>@plt" ("@plt" alone for IRELATIVE slots, which name no symbol).
 */
import { SHT_DYNSYM, type ElfFile, type ElfSection } from '../../parsers/elf/elf-file.js'
import type { RawSymbol } from './symbol-table.js'

const X86_64_PLT_ENTRY = 16
const X86_64_PLT_HEADER = 16
const STB_GLOBAL = 1

/** The section the stubs are synthesized in: .plt.sec (IBT builds), else .plt. */
export function pltStubSection(elf: ElfFile): ElfSection | undefined {
  return elf.section('.plt.sec') ?? elf.section('.plt')
}

export function pltSymbols(elf: ElfFile): RawSymbol[] {
  // perf synthesizes stubs only in binaries with a .dynsym. A static binary's .plt holds IRELATIVE
  // slots (ifunc calls, no 16-byte header) and perf names that code by the ELF symbols around it
  // (`_init+0x38`), so no stubs here either.
  const dynsym = elf.sections.find((s) => s.type === SHT_DYNSYM)
  if (dynsym === undefined) return []
  const rela = elf.section('.rela.plt')
  const plt = pltStubSection(elf)
  if (!rela || !plt) return []
  // Read .rela.plt by its own index: its sh_info names .got.plt or 0 depending on the linker.
  const relocs = elf.relocationsAt(rela.index)
  const syms = elf.sections[rela.link] ?? dynsym
  let addr = plt.addr + (plt.name === '.plt.sec' ? 0 : X86_64_PLT_HEADER)
  const end = plt.addr + plt.size
  const out: RawSymbol[] = []
  for (const r of relocs) {
    if (addr + X86_64_PLT_ENTRY > end) break
    const name = elf.symbolName(syms, r.symIndex)
    out.push({ start: addr, size: X86_64_PLT_ENTRY, name: `${name}@plt`, bind: STB_GLOBAL })
    addr += X86_64_PLT_ENTRY
  }
  return out
}
