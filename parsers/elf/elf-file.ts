/**
 * A small ELF64 little-endian reader: headers, sections, program headers, symbols, notes and RELA
 * relocations: what symbolization and unwind-table extraction need, nothing more. Hand-written
 * (about 300 lines) rather than a package because the maintained npm ELF readers either parse
 * eagerly into objects per symbol and section or lack RELA and note support; this one reads a
 * file lazily, one section at a time, and bounds-checks every table against the file size.
 */
import { closeSync, openSync, readSync, statSync } from 'node:fs'
import { ElfError } from '../common/errors.js'
import { cstring, viewOf } from './bytes.js'
import { ElfSymbolColumns } from './symbol-columns.js'
import { readAddr, readU64, type Addr } from '../common/addr.js'

export { ElfSymbolColumns }

export const ET_REL = 1
export const ET_EXEC = 2
export const ET_DYN = 3
/** What a section past the end of the file becomes: no type, no bytes (see readSection). */
export const SHT_NULL = 0
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

/**
 * Where the bytes come from: a buffer already in memory, or a file read a piece at a time.
 * Binaries can be large (node is ~100 MB) while unwinding and symbolizing need only a few
 * sections, so a file is never read whole.
 */
interface ByteSource {
  readonly size: number
  read(offset: number, length: number): Uint8Array
}

function memorySource(bytes: Uint8Array): ByteSource {
  return { size: bytes.length, read: (o, n) => bytes.subarray(o, o + n) }
}

function fileSource(path: string): ByteSource {
  const size = statSync(path).size
  return {
    size,
    read(o, n) {
      const buf = new Uint8Array(Math.max(0, Math.min(n, size - o)))
      const fd = openSync(path, 'r')
      try {
        let done = 0
        while (done < buf.length) {
          const got = readSync(fd, buf, done, buf.length - done, o + done)
          if (got === 0) break
          done += got
        }
      } finally {
        closeSync(fd)
      }
      return buf
    },
  }
}


export class ElfFile {
  readonly type: number
  readonly machine: number
  readonly size: number
  readonly sections: ElfSection[]
  /** Sections whose bytes run past the end of the file (they read as empty), with where their header is. */
  readonly damagedSections: { what: string; headerOffset: number }[] = []
  readonly programHeaders: ElfProgramHeader[]
  private readonly symtabCache = new Map<number, ElfSymbol[]>()
  private readonly columnsCache = new Map<number, ElfSymbolColumns>()
  private readonly dataCache = new Map<number, Uint8Array>()
  /** Indices of the sections readSection found past the end of the file. */
  private readonly damaged = new Set<number>()

  private constructor(
    private readonly src: ByteSource,
    readonly name: string,
  ) {
    this.size = src.size
    const head = src.read(0, 64)
    const v = viewOf(head)
    if (head.length < 64 || v.getUint32(0, false) !== 0x7f454c46) throw new ElfError(`${name}: not an ELF file`, 0)
    if (head[4] !== 2 || head[5] !== 1) throw new ElfError(`${name}: only 64-bit little-endian ELF is supported`, 4)
    this.type = v.getUint16(16, true)
    this.machine = v.getUint16(18, true)
    this.programHeaders = this.readProgramHeaders(v)
    this.sections = this.readSections(v)
  }

  /** Parse an ELF image in memory; throws ElfError naming the offset of the first malformed table. */
  static parse(bytes: Uint8Array, name = '<elf>'): ElfFile {
    return new ElfFile(memorySource(bytes), name)
  }

  /** Open an ELF file, reading headers now and sections only when asked for. */
  static open(path: string): ElfFile {
    return new ElfFile(fileSource(path), path)
  }

  /** First section with this name. */
  section(name: string): ElfSection | undefined {
    return this.sections.find((s) => s.name === name)
  }

  /** The bytes of a section (empty for NOBITS), read once and kept. */
  sectionData(s: ElfSection): Uint8Array {
    if (s.type === SHT_NOBITS) return new Uint8Array(0)
    let d = this.dataCache.get(s.index)
    if (!d) {
      d = this.src.read(s.offset, s.size)
      this.dataCache.set(s.index, d)
    }
    return d
  }

  /** Symbols of .symtab, or of .dynsym when there is no .symtab (or `which` picks one). */
  symbols(which: 'symtab' | 'dynsym' | 'best' = 'best'): ElfSymbol[] {
    const symtab = this.sections.find((s) => s.type === SHT_SYMTAB)
    const dynsym = this.sections.find((s) => s.type === SHT_DYNSYM)
    const pick = which === 'symtab' ? symtab : which === 'dynsym' ? dynsym : (symtab ?? dynsym)
    return pick ? this.symbolsOf(pick) : []
  }

  /** Symbols of a given SHT_SYMTAB/SHT_DYNSYM section as objects, cached (see symbolColumnsOf for the cheap form). */
  symbolsOf(sec: ElfSection): ElfSymbol[] {
    const cached = this.symtabCache.get(sec.index)
    if (cached) return cached
    const c = this.symbolColumnsOf(sec)
    const out: ElfSymbol[] = new Array(c.count)
    for (let i = 0; i < c.count; i++) {
      const info = c.info[i]!
      out[i] = { name: c.name(i), type: info & 15, bind: info >> 4, shndx: c.shndx[i]!, value: c.value[i]!, size: c.size[i]! }
    }
    this.symtabCache.set(sec.index, out)
    return out
  }

  /** symbolColumnsOf for .symtab, or .dynsym when there is no .symtab (or `which` picks one); undefined when absent. */
  symbolColumns(which: 'symtab' | 'dynsym' | 'best' = 'best'): ElfSymbolColumns | undefined {
    const symtab = this.sections.find((s) => s.type === SHT_SYMTAB)
    const dynsym = this.sections.find((s) => s.type === SHT_DYNSYM)
    const pick = which === 'symtab' ? symtab : which === 'dynsym' ? dynsym : (symtab ?? dynsym)
    return pick ? this.symbolColumnsOf(pick) : undefined
  }

  /**
   * Symbols of a SHT_SYMTAB/SHT_DYNSYM section as parallel typed arrays, cached: no object per
   * symbol, names decoded only when asked for (node's .dynsym has 110k symbols, a profile prints a
   * few hundred).
   */
  symbolColumnsOf(sec: ElfSection): ElfSymbolColumns {
    let c = this.columnsCache.get(sec.index)
    if (c) return c
    const strtab = this.sections[sec.link]
    const strs = strtab ? this.sectionData(strtab) : new Uint8Array(0)
    const data = this.sectionData(sec)
    c = new ElfSymbolColumns(data, strs)
    this.columnsCache.set(sec.index, c)
    return c
  }

  /** Name of symbol `i` of a SHT_SYMTAB/SHT_DYNSYM section, without parsing the whole table ('' when out of range). */
  symbolName(sec: ElfSection, i: number): string {
    const cols = this.columnsCache.get(sec.index)
    if (cols) return i >= 0 && i < cols.count ? cols.name(i) : ''
    const data = this.sectionData(sec)
    if (!(i >= 0 && (i + 1) * 24 <= data.length)) return ''
    const strtab = this.sections[sec.link]
    const strs = strtab ? this.sectionData(strtab) : new Uint8Array(0)
    return cstring(strs, viewOf(data).getUint32(i * 24, true))
  }

  /** RELA entries of the SHT_RELA section at `index` (entry order kept). */
  relocationsAt(index: number): ElfRela[] {
    const sec = this.sections[index]
    if (!sec || sec.type !== SHT_RELA) return []
    const data = this.sectionData(sec)
    const v = viewOf(data)
    const rela: ElfRela[] = []
    const n = Math.floor(data.length / 24)
    for (let i = 0; i < n; i++) {
      const o = i * 24
      rela.push({ offset: readU64(v, o), type: v.getUint32(o + 8, true), symIndex: v.getUint32(o + 12, true), addend: readAddr(v, o + 16) })
    }
    return rela
  }

  /** RELA entries whose target is `target` (from the SHT_RELA section with sh_info == target). */
  relocationsFor(target: ElfSection): { rela: ElfRela[]; symtab: ElfSection | undefined } {
    const sec = this.sections.find((s) => s.type === SHT_RELA && s.info === target.index)
    if (!sec) return { rela: [], symtab: undefined }
    return { rela: this.relocationsAt(sec.index), symtab: this.sections[sec.link] }
  }

  /** GNU build-id from the first NT_GNU_BUILD_ID note (sections, else PT_NOTE), lowercase hex. */
  get buildId(): string | undefined {
    for (const s of this.sections) {
      if (s.type !== SHT_NOTE) continue
      const id = findBuildIdNote(this.sectionData(s))
      if (id) return id
    }
    for (const p of this.programHeaders) {
      if (p.type !== 4 /* PT_NOTE */) continue
      const id = findBuildIdNote(this.src.read(p.offset, Math.min(p.filesz, 1 << 16)))
      if (id) return id
    }
    return undefined
  }

  /** .gnu_debuglink: the separate debug file's name and its CRC32. */
  get debugLink(): { file: string; crc: number } | undefined {
    const s = this.section('.gnu_debuglink')
    if (!s || s.size < 5) return undefined
    const data = this.sectionData(s)
    const file = cstring(data, 0)
    const crcOff = align4(file.length + 1)
    if (crcOff + 4 > data.length) return undefined
    return { file, crc: viewOf(data).getUint32(crcOff, true) }
  }

  private readProgramHeaders(head: DataView): ElfProgramHeader[] {
    const phoff = readU64(head, 32)
    const phentsize = head.getUint16(54, true)
    const phnum = head.getUint16(56, true)
    if (phnum === 0) return []
    this.checkTable(phoff, phentsize, phnum, 56, 'program header table', 32)
    const v = viewOf(this.src.read(phoff, phentsize * phnum))
    const out: ElfProgramHeader[] = []
    for (let i = 0; i < phnum; i++) {
      const o = i * phentsize
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

  private readSections(head: DataView): ElfSection[] {
    const shoff = readU64(head, 40)
    const shentsize = head.getUint16(58, true)
    const shnum = head.getUint16(60, true)
    const shstrndx = head.getUint16(62, true)
    if (shnum === 0) return []
    this.checkTable(shoff, shentsize, shnum, 64, 'section header table', 40)
    const v = viewOf(this.src.read(shoff, shentsize * shnum))
    const raw: ElfSection[] = []
    for (let i = 0; i < shnum; i++) raw.push(this.readSection(v, i * shentsize, i))
    const names = raw[shstrndx]
    const strs = names ? this.sectionData(names) : new Uint8Array(0)
    for (const s of raw) s.name = cstring(strs, v.getUint32(s.index * shentsize, true))
    for (const s of raw) {
      if (this.damaged.has(s.index)) this.damagedSections.push({ what: `section ${s.index} (${s.name || 'no name'})`, headerOffset: shoff + s.index * shentsize })
    }
    return raw
  }

  private readSection(v: DataView, o: number, index: number): ElfSection {
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
    if (s.type !== SHT_NOBITS && !(s.offset + s.size <= this.size)) {
      // One bad section header (a file cut short, a corrupt size) must not cost the others: like
      // libelf, which fails only on reading that section, it is kept with no type and no bytes.
      s.type = SHT_NULL
      s.size = 0
      this.damaged.add(index)
    }
    return s
  }

  private checkTable(off: number, entsize: number, num: number, min: number, what: string, fieldOff: number): void {
    if (entsize < min || !(off + entsize * num <= this.size)) {
      throw new ElfError(`${this.name}: ${what} (${num} × ${entsize} bytes at 0x${off.toString(16)}) does not fit the file`, fieldOff)
    }
  }
}

function findBuildIdNote(data: Uint8Array): string | undefined {
  const v = viewOf(data)
  const end = data.length
  let p = 0
  while (p + 12 <= end) {
    const namesz = v.getUint32(p, true)
    const descsz = v.getUint32(p + 4, true)
    const type = v.getUint32(p + 8, true)
    const nameOff = p + 12
    const descOff = nameOff + align4(namesz)
    const next = descOff + align4(descsz)
    if (next > end) return undefined
    if (type === 3 && namesz === 4 && v.getUint32(nameOff, true) === 0x00554e47 /* "GNU\0" */) {
      let hex = ''
      for (let i = 0; i < descsz; i++) hex += data[descOff + i]!.toString(16).padStart(2, '0')
      return hex
    }
    p = next
  }
  return undefined
}

/**
 * A note field's size rounded up to 4 bytes. Not `(n + 3) & ~3`: JavaScript's bit operators work
 * on 32 bits, so a damaged size of 0xfffffffd.. 0xffffffff would wrap to 0 and let the reader run
 * past the note.
 */
function align4(n: number): number {
  return n + ((4 - (n % 4)) % 4)
}
