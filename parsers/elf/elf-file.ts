/**
 * A small ELF64 little-endian reader: headers, sections, program headers, symbols, notes and RELA
 * relocations: what symbolization and unwind-table extraction need, nothing more. Hand-written
 * (about 250 lines) rather than a package because the maintained npm ELF readers either parse
 * eagerly into objects per symbol and section or lack RELA and note support; this one reads
 * lazily from one Uint8Array and bounds-checks every table against the file size.
 */
import { ElfError } from '../common/errors.js'
import { readAddr, readU64, type Addr } from '../common/addr.js'

export const ET_REL = 1
export const ET_EXEC = 2
export const ET_DYN = 3
export const SHT_SYMTAB = 2
export const SHT_NOTE = 7
export const SHT_NOBITS = 8
export const SHT_RELA = 4
export const SHT_DYNSYM = 11
export const PT_LOAD = 1
export const PF_X = 1
export const STT_FUNC = 2
export const STT_SECTION = 3
export const STT_GNU_IFUNC = 10

export interface ElfSection {
  index: number
  name: string
  type: number
  flags: number
  addr: Addr
  offset: number
  size: number
  link: number
  info: number
  entsize: number
}

export interface ElfProgramHeader {
  type: number
  flags: number
  offset: number
  vaddr: Addr
  filesz: number
  memsz: number
}

export interface ElfSymbol {
  name: string
  value: Addr
  size: number
  type: number
  bind: number
  shndx: number
}

export interface ElfRela {
  offset: number
  type: number
  symIndex: number
  addend: number
}

const utf8 = new TextDecoder('utf-8', { fatal: false })

export class ElfFile {
  readonly view: DataView
  readonly type: number
  readonly machine: number
  readonly sections: ElfSection[]
  readonly programHeaders: ElfProgramHeader[]
  private symtabCache = new Map<number, ElfSymbol[]>()

  private constructor(
    readonly bytes: Uint8Array,
    readonly name: string,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    const v = this.view
    if (bytes.length < 64 || v.getUint32(0, false) !== 0x7f454c46) throw new ElfError(`${name}: not an ELF file`, 0)
    if (bytes[4] !== 2 || bytes[5] !== 1) throw new ElfError(`${name}: only 64-bit little-endian ELF is supported`, 4)
    this.type = v.getUint16(16, true)
    this.machine = v.getUint16(18, true)
    this.programHeaders = this.readProgramHeaders()
    this.sections = this.readSections()
  }

  /** Parse an ELF image; throws ElfError naming the offset of the first malformed table. */
  static parse(bytes: Uint8Array, name = '<elf>'): ElfFile {
    return new ElfFile(bytes, name)
  }

  /** First section with this name. */
  section(name: string): ElfSection | undefined {
    return this.sections.find((s) => s.name === name)
  }

  /** The bytes of a section (empty for NOBITS); a view, not a copy. */
  sectionData(s: ElfSection): Uint8Array {
    if (s.type === SHT_NOBITS) return new Uint8Array(0)
    return this.bytes.subarray(s.offset, s.offset + s.size)
  }

  /** Symbols of .symtab, or of .dynsym when there is no .symtab (or `which` picks one). */
  symbols(which: 'symtab' | 'dynsym' | 'best' = 'best'): ElfSymbol[] {
    const symtab = this.sections.find((s) => s.type === SHT_SYMTAB)
    const dynsym = this.sections.find((s) => s.type === SHT_DYNSYM)
    const pick = which === 'symtab' ? symtab : which === 'dynsym' ? dynsym : (symtab ?? dynsym)
    return pick ? this.symbolsOf(pick) : []
  }

  /** Symbols of a given SHT_SYMTAB/SHT_DYNSYM section, cached. */
  symbolsOf(sec: ElfSection): ElfSymbol[] {
    const cached = this.symtabCache.get(sec.index)
    if (cached) return cached
    const strtab = this.sections[sec.link]
    const out: ElfSymbol[] = []
    const n = Math.floor(sec.size / 24)
    for (let i = 0; i < n; i++) {
      const o = sec.offset + i * 24
      const info = this.view.getUint8(o + 4)
      out.push({
        name: strtab ? this.cstring(strtab.offset + this.view.getUint32(o, true), strtab.offset + strtab.size) : '',
        type: info & 15,
        bind: info >> 4,
        shndx: this.view.getUint16(o + 6, true),
        value: readAddr(this.view, o + 8),
        size: readU64(this.view, o + 16),
      })
    }
    this.symtabCache.set(sec.index, out)
    return out
  }

  /** RELA entries whose target is `target` (from every SHT_RELA section with sh_info == target). */
  relocationsFor(target: ElfSection): { rela: ElfRela[]; symtab: ElfSection | undefined } {
    const sec = this.sections.find((s) => s.type === SHT_RELA && s.info === target.index)
    if (!sec) return { rela: [], symtab: undefined }
    const rela: ElfRela[] = []
    const n = Math.floor(sec.size / 24)
    for (let i = 0; i < n; i++) {
      const o = sec.offset + i * 24
      const info = this.view.getUint32(o + 8, true)
      const symIndex = this.view.getUint32(o + 12, true)
      rela.push({ offset: readU64(this.view, o), type: info, symIndex, addend: readAddr(this.view, o + 16) })
    }
    return { rela, symtab: this.sections[sec.link] }
  }

  /** GNU build-id from the first NT_GNU_BUILD_ID note (sections, else PT_NOTE), lowercase hex. */
  get buildId(): string | undefined {
    for (const s of this.sections) {
      if (s.type !== SHT_NOTE) continue
      const id = findBuildIdNote(this.view, s.offset, s.size)
      if (id) return id
    }
    for (const p of this.programHeaders) {
      if (p.type !== 4 /* PT_NOTE */) continue
      const id = findBuildIdNote(this.view, p.offset, p.filesz)
      if (id) return id
    }
    return undefined
  }

  /** .gnu_debuglink: the separate debug file's name and its CRC32. */
  get debugLink(): { file: string; crc: number } | undefined {
    const s = this.section('.gnu_debuglink')
    if (!s || s.size < 5) return undefined
    const file = this.cstring(s.offset, s.offset + s.size)
    const crcOff = s.offset + ((file.length + 4) & ~3)
    if (crcOff + 4 > s.offset + s.size) return undefined
    return { file, crc: this.view.getUint32(crcOff, true) }
  }

  /** The executable PT_LOAD segment holding file offset `off`, for mapping pgoff → vaddr. */
  loadSegmentForOffset(off: number): ElfProgramHeader | undefined {
    return this.programHeaders.find((p) => p.type === PT_LOAD && off >= p.offset && off < p.offset + p.filesz)
  }

  private readProgramHeaders(): ElfProgramHeader[] {
    const v = this.view
    const phoff = readU64(v, 32)
    const phentsize = v.getUint16(54, true)
    const phnum = v.getUint16(56, true)
    if (phnum === 0) return []
    this.checkTable(phoff, phentsize, phnum, 56, 'program header table', 32)
    const out: ElfProgramHeader[] = []
    for (let i = 0; i < phnum; i++) {
      const o = phoff + i * phentsize
      out.push({
        type: v.getUint32(o, true),
        flags: v.getUint32(o + 4, true),
        offset: readU64(v, o + 8),
        vaddr: readAddr(v, o + 16),
        filesz: readU64(v, o + 32),
        memsz: readU64(v, o + 40),
      })
    }
    return out
  }

  private readSections(): ElfSection[] {
    const v = this.view
    const shoff = readU64(v, 40)
    const shentsize = v.getUint16(58, true)
    const shnum = v.getUint16(60, true)
    const shstrndx = v.getUint16(62, true)
    if (shnum === 0) return []
    this.checkTable(shoff, shentsize, shnum, 64, 'section header table', 40)
    const raw: ElfSection[] = []
    for (let i = 0; i < shnum; i++) raw.push(this.readSection(shoff + i * shentsize, i))
    const names = raw[shstrndx]
    for (const s of raw) {
      if (names) s.name = this.cstring(names.offset + this.view.getUint32(shoff + s.index * shentsize, true), names.offset + names.size)
    }
    return raw
  }

  private readSection(o: number, index: number): ElfSection {
    const v = this.view
    const s: ElfSection = {
      index,
      name: '',
      type: v.getUint32(o + 4, true),
      flags: readU64(v, o + 8),
      addr: readAddr(v, o + 16),
      offset: readU64(v, o + 24),
      size: readU64(v, o + 32),
      link: v.getUint32(o + 40, true),
      info: v.getUint32(o + 44, true),
      entsize: readU64(v, o + 56),
    }
    if (s.type !== SHT_NOBITS && !(s.offset + s.size <= this.bytes.length)) {
      throw new ElfError(`${this.name}: section ${index} extends past the end of the file (size ${s.size})`, o)
    }
    return s
  }

  private checkTable(off: number, entsize: number, num: number, min: number, what: string, fieldOff: number): void {
    if (entsize < min || !(off + entsize * num <= this.bytes.length)) {
      throw new ElfError(`${this.name}: ${what} (${num} × ${entsize} bytes at 0x${off.toString(16)}) does not fit the file`, fieldOff)
    }
  }

  /** NUL-terminated string at `off`, never reading at or past `end`. */
  cstring(off: number, end: number): string {
    const b = this.bytes
    const limit = Math.min(end, b.length)
    let e = off
    while (e < limit && b[e] !== 0) e++
    return off < limit ? utf8.decode(b.subarray(off, e)) : ''
  }
}

function findBuildIdNote(v: DataView, off: number, size: number): string | undefined {
  const end = Math.min(off + size, v.byteLength)
  let p = off
  while (p + 12 <= end) {
    const namesz = v.getUint32(p, true)
    const descsz = v.getUint32(p + 4, true)
    const type = v.getUint32(p + 8, true)
    const nameOff = p + 12
    const descOff = nameOff + ((namesz + 3) & ~3)
    const next = descOff + ((descsz + 3) & ~3)
    if (next > end || next <= p) return undefined
    if (type === 3 && namesz === 4 && v.getUint32(nameOff, true) === 0x00554e47 /* "GNU\0" */) {
      let hex = ''
      for (let i = 0; i < descsz; i++) hex += v.getUint8(descOff + i).toString(16).padStart(2, '0')
      return hex
    }
    p = next
  }
  return undefined
}
