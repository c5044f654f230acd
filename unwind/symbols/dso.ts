/**
 * A binary named by a mapping (a "DSO" in perf's words): located on disk, verified against the
 * recorded build-id, parsed lazily, with its symbols and the load bias that turns a runtime
 * address into the ELF's own virtual address (svma).
 */
import { existsSync, statSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { ElfFile, PF_X, PT_LOAD, STT_FUNC, STT_GNU_IFUNC, SHT_NOBITS, type ElfSymbolColumns } from '../../parsers/elf/elf-file.js'
import type { Diagnostics } from '../diagnostics.js'
import type { Mapping } from '../process/address-space.js'
import { demangle } from './demangle.js'
import { SymbolTable } from './symbol-table.js'
import { pltStubSection, pltSymbols } from './plt-symbols.js'
import { findVdsoImage } from './vdso.js'
import { cacheDirFromEnv } from '../orc/table-cache.js'
import { perfBuildIdDir } from './perf-buildid-cache.js'

export interface DsoOptions {
  /** Prefix for every binary path, as perf's --symfs. */
  symfs?: string
  /** Extra build-id cache roots (default ~/.debug and /usr/lib/debug). */
  buildIdRoots?: string[]
}

export class Dso {
  /** The file actually read, or undefined when none usable was found. */
  readonly path: string | undefined
  private elfLoaded = false
  private elfFile: ElfFile | undefined
  private debugFile: ElfFile | undefined | null = null
  private symtab: SymbolTable | undefined
  private plt: SymbolTable | undefined
  private pltSection: [number, number] | undefined
  private readonly lookupResult = { table: undefined as unknown as SymbolTable, index: -1 }
  private readonly biases = new WeakMap<Mapping, number>()
  private lastBiasMapping: Mapping | undefined
  private lastBias = 0

  constructor(
    readonly filename: string,
    readonly buildId: string | undefined,
    private readonly opts: DsoOptions,
    private readonly diag: Diagnostics,
  ) {
    this.path = this.locate()
  }

  get elf(): ElfFile | undefined {
    if (!this.elfLoaded) {
      this.elfLoaded = true
      this.elfFile = this.path ? this.parse(this.path) : undefined
    }
    return this.elfFile
  }

  /** A separate debug file (by build-id, then .gnu_debuglink), when one exists. */
  get debugElf(): ElfFile | undefined {
    if (this.debugFile !== null) return this.debugFile
    this.debugFile = undefined
    const elf = this.elf
    const id = this.buildId ?? elf?.buildId
    const candidates: string[] = []
    if (id) candidates.push(...this.roots().map((r) => join(r, '.build-id', id.slice(0, 2), id.slice(2) + '.debug')))
    const link = elf?.debugLink
    if (link && this.path) {
      const dir = dirname(this.filename)
      candidates.push(this.sym(join('/usr/lib/debug', dir, link.file)), join(dirname(this.path), '.debug', link.file))
    }
    const found = candidates.find((p) => existsSync(p))
    if (found) this.debugFile = this.parse(found)
    return this.debugFile
  }

  get symbols(): SymbolTable {
    if (!this.symtab) this.symtab = this.readSymbols()
    return this.symtab
  }

  /**
   * Synthesized "name@plt" stubs (perf's dso__synthesize_plt_symbols), looked up before the ELF
   * symbols inside the stubs' section. perf sizes the ELF symbols before it adds the stubs, so a
   * size-0 `_init` just before .plt spans the stubs too, and perf's answer is whichever of the two
   * its rb-tree search meets first. That is the stub for all 32 PLT frames of node, libstdc++ and
   * libpython perf printed, and for every stub but the first in small test programs, where perf
   * printed all 1,924 samples of a hot first stub as `_init+0x30` (cli/script-vs-perf.test.ts
   * allows that difference).
   */
  get pltSymbols(): SymbolTable {
    if (!this.plt) this.plt = new SymbolTable(this.elf ? pltSymbols(this.elf) : [])
    return this.plt
  }

  /** Index and table of the symbol naming svma, or index -1. The result object is reused by the next call. */
  lookup(svma: number): { table: SymbolTable; index: number } {
    const r = this.lookupResult
    const [pltStart, pltEnd] = (this.pltSection ??= this.findPltSection())
    if (svma >= pltStart && svma < pltEnd) {
      const j = this.pltSymbols.find(svma)
      if (j >= 0) {
        r.table = this.pltSymbols
        r.index = j
        return r
      }
    }
    r.table = this.symbols
    r.index = this.symbols.find(svma)
    return r
  }

  /** [start, end) of the section the stubs are synthesized in. */
  private findPltSection(): [number, number] {
    const s = this.elf && pltStubSection(this.elf)
    return s ? [s.addr, s.addr + s.size] : [0, 0]
  }

  /** runtime address - bias = svma, for an address inside `m` (cached per mapping: it is asked per frame). */
  bias(m: Mapping): number {
    if (m === this.lastBiasMapping) return this.lastBias
    let b = this.biases.get(m)
    if (b === undefined) {
      b = this.computeBias(m)
      this.biases.set(m, b)
    }
    this.lastBiasMapping = m
    this.lastBias = b
    return b
  }

  /**
   * The segment a mapping maps is the PT_LOAD whose bytes it covers, executable for an executable
   * mapping. Its start alone does not tell: the kernel maps from the page holding the segment's
   * first byte, and where segments are packed (lld, Rust's default linker) that page also ends
   * the segment before, whose p_vaddr - p_offset differs by a page.
   */
  private computeBias(m: Mapping): number {
    const elf = this.elf
    if (!elf) return m.start - m.pgoff
    const end = m.pgoff + (m.end - m.start)
    const covered = elf.programHeaders.filter((p) => p.type === PT_LOAD && p.offset < end && m.pgoff < p.offset + Math.max(p.filesz, 1))
    const seg =
      covered.find((p) => ((p.flags & PF_X) !== 0) === m.exec) ??
      covered[0] ??
      elf.programHeaders.find((p) => p.type === PT_LOAD && (p.flags & PF_X) !== 0)
    if (!seg) return m.start - m.pgoff
    return m.start - m.pgoff + seg.offset - seg.vaddr
  }

  /**
   * The ELF's code symbols: .symtab, else the debug file's .symtab, else .dynsym; built from the
   * symbol columns without an object per symbol, names decoded only when printed.
   */
  private readSymbols(): SymbolTable {
    const elf = this.elf
    if (!elf) return new SymbolTable([])
    let cols = nonEmpty(elf.symbolColumns('symtab'))
    if (!cols) {
      const dbg = this.debugElf
      cols = nonEmpty(dbg?.symbolColumns('symtab')) ?? elf.symbolColumns('dynsym')
    }
    if (!cols) return new SymbolTable([])
    const codeSections = new Uint8Array(0x10000)
    for (const s of elf.sections) if ((s.flags & 4) !== 0 && s.type !== SHT_NOBITS && s.index < 0x10000) codeSections[s.index] = 1
    const rows = new Uint32Array(cols.count)
    const bind = new Uint8Array(cols.count)
    let n = 0
    for (let i = 0; i < cols.count; i++) {
      bind[i] = cols.info[i]! >> 4
      if (isCodeSymbol(cols, i, codeSections)) rows[n++] = i
    }
    const c = cols
    return new SymbolTable(
      { count: c.count, start: c.value, size: c.size, bind, name: (i) => c.name(i), nameEmpty: (i) => c.nameEmpty(i), nameShape: (i) => c.nameShape(i) },
      rows.subarray(0, n),
      demangle,
    )
  }

  private locate(): string | undefined {
    if (this.filename === '[vdso]') return this.locateVdso()
    const direct = this.sym(this.filename)
    const byId = this.buildId ? this.findByBuildId(this.buildId) : undefined
    if (!isFile(direct)) {
      if (byId) return byId
      this.diag.warnOnce(`missing:${this.filename}`, `${this.filename}: binary not found${this.opts.symfs ? ` under --symfs ${this.opts.symfs}` : ''}; its frames have no symbols or unwind tables`)
      return undefined
    }
    if (!this.buildId) return direct
    const actual = this.peekBuildId(direct)
    if (actual === undefined || actual === this.buildId) return direct
    if (byId) return byId
    this.diag.warnOnce(
      `mismatch:${this.filename}`,
      `${direct}: build-id ${actual} does not match the recorded ${this.buildId}; not used (the binary changed since recording)`,
    )
    return undefined
  }

  private locateVdso(): string | undefined {
    const path = findVdsoImage(this.buildId, cacheDirFromEnv())
    if (!path) {
      this.diag.warnOnce('missing:[vdso]', `[vdso]: no image${this.buildId ? ` with build-id ${this.buildId}` : ''} (recorded on another kernel?); its frames have no symbols or unwind tables`)
    }
    return path
  }

  private findByBuildId(id: string): string | undefined {
    for (const root of this.roots()) {
      for (const p of [join(root, '.build-id', id.slice(0, 2), id.slice(2), 'elf'), join(root, '.build-id', id.slice(0, 2), id.slice(2))]) {
        if (isFile(p) && this.peekBuildId(p) === id) return p
      }
    }
    return undefined
  }

  private roots(): string[] {
    return this.opts.buildIdRoots ?? [perfBuildIdDir(), this.sym('/usr/lib/debug')]
  }

  private sym(path: string): string {
    return this.opts.symfs ? join(this.opts.symfs, path) : path
  }

  private peekBuildId(path: string): string | undefined {
    return this.parse(path)?.buildId
  }

  private readonly parsed = new Map<string, ElfFile | undefined>()
  private parse(path: string): ElfFile | undefined {
    if (this.parsed.has(path)) return this.parsed.get(path)
    let elf: ElfFile | undefined
    try {
      elf = ElfFile.open(path)
      const bad = elf.damagedSections.map((d) => d.what)
      if (bad.length > 0) this.diag.warnOnce(`bad-elf:${path}`, `${path}: ${bad.join(', ')} run${bad.length === 1 ? 's' : ''} past the end of the file; read as empty`)
    } catch (e) {
      const why = e instanceof Error ? e.message : String(e)
      this.diag.warnOnce(`bad-elf:${path}`, `${path}: unreadable ELF (${why}); its frames have no symbols or unwind tables`)
    }
    this.parsed.set(path, elf)
    return elf
  }
}

function nonEmpty(c: ElfSymbolColumns | undefined): ElfSymbolColumns | undefined {
  return c && c.count > 0 ? c : undefined
}

function isCodeSymbol(c: ElfSymbolColumns, i: number, codeSections: Uint8Array): boolean {
  const shndx = c.shndx[i]!
  if (shndx === 0 || shndx >= 0xff00 || c.nameEmpty(i)) return false
  const type = c.info[i]! & 15
  if (type === STT_FUNC || type === STT_GNU_IFUNC) return true
  // perf also keeps untyped labels inside code sections (hand-written assembly).
  return type === 0 && codeSections[shndx] === 1
}

function isFile(p: string): boolean {
  try {
    return statSync(p).isFile()
  } catch {
    return false
  }
}

