/**
 * The kernel image and the modules as placed in one capture (parsers/kernel-capture): the code
 * lookup the ORC walk uses and the symbols its frames are named by.
 *
 *   vmlinux   ORC table and symbols at link addresses; a frame at `pc` is looked up at
 *             pc - kaslrOffset (the KASLR slide of the captured machine).
 *   modules   a .ko (ET_REL) whose sections the capture says were loaded at given addresses
 *             (/sys/module/NAME/sections/): its ORC table and its function symbols are placed
 *             there. Placed tables are cached per .ko path + placement, so a file of captures from
 *             one boot builds each module's table once.
 *
 * Addresses outside every placed executable section (BPF programs, trampolines, modules without
 * a .ko, a vmlinux not given) have no table: the walk takes the frame-pointer guess there and
 * marks what it finds unreliable (unwind/orc-unwinder.ts).
 */

import type { Addr } from '../parsers/common/addr.js'
import { ElfFile, ET_REL, STT_FUNC, type ElfSection } from '../parsers/elf/elf-file.js'
import { openElf } from '../parsers/elf/open-elf.js'
import type { CapturedModule, KernelCapture } from '../parsers/kernel-capture/capture.js'
import { hasKernelOrc, readKernelOrc, type KernelOrc } from '../parsers/kernel-orc/kernel-orc.js'
import { vermagicRelease } from '../parsers/kernel-orc/release.js'
import { UnwindInfoError } from '../parsers/common/errors.js'
import type { ResolvedFrame } from '../render/model.js'
import { TableHit, type CodeLookup } from './code-lookup.js'
import { isFakeRegs, unwindKernelCapture } from './fake-regs.js'
import { FrameBuffer, isRooted, reliabilityName, type WalkStatusNum } from './frame-buffer.js'
import { buildModuleOrcTable, buildVmlinuxOrcTable } from './orc/kernel-table.js'
import type { OrcTable } from './orc/table.js'
import { RegBit, UnwindRegs } from './regs.js'
import { StackMemory } from './stack-memory.js'
import { SymbolTable, type RawSymbol } from './symbols/symbol-table.js'
import { parseKallsyms } from './symbols/kallsyms.js'

const SHF_ALLOC = 0x2
const SHF_EXECINSTR = 0x4
const STT_NOTYPE = 0

/** perf's dso name for the kernel image. */
export const KERNEL_DSO = '[kernel.kallsyms]'

/** Executable, allocated sections: where code of this file runs. */
function execSections(elf: ElfFile): ElfSection[] {
  return elf.sections.filter((s) => (s.flags & (SHF_ALLOC | SHF_EXECINSTR)) === (SHF_ALLOC | SHF_EXECINSTR) && s.size > 0)
}

/**
 * Code symbols of an ELF file: functions, plus untyped labels in executable sections (entry code
 * and other assembly), keyed by section index. Values are link addresses (vmlinux) or section
 * offsets (.ko).
 */
function codeSymbols(elf: ElfFile, exec: ReadonlySet<number>): (RawSymbol & { shndx: number })[] {
  const out: (RawSymbol & { shndx: number })[] = []
  for (const s of elf.symbols('symtab')) {
    if (!exec.has(s.shndx) || s.name === '') continue
    if (s.type !== STT_FUNC && !(s.type === STT_NOTYPE && !s.name.startsWith('.L'))) continue
    out.push({ start: s.value, size: s.size, name: s.name, bind: s.bind, shndx: s.shndx })
  }
  return out
}

/** A vmlinux: ORC table and symbols at link addresses. */
export class KernelImage {
  private constructor(
    readonly path: string,
    readonly orc: KernelOrc,
    readonly table: OrcTable,
    readonly symbols: SymbolTable,
    /** [start, end) link addresses of the executable sections. */
    readonly ranges: readonly { start: Addr; end: Addr }[],
  ) {}

  /**
   * `systemMap`: kallsyms-format text (System.map) naming the code at link addresses, used
   * instead of the ELF's .symtab: distribution images are stripped.
   */
  static load(path: string, opts: { release?: string; systemMap?: Uint8Array } = {}): KernelImage {
    const elf = openElf(path)
    if (elf.type === ET_REL) throw new UnwindInfoError(`${path}: is a relocatable object (a module?), not a vmlinux`, 0)
    if (!hasKernelOrc(elf)) throw new UnwindInfoError(`${path}: no .orc_unwind tables (a kernel built without CONFIG_UNWINDER_ORC, or not a vmlinux)`, 0)
    const orc = readKernelOrc(elf, { release: opts.release })
    const exec = execSections(elf).filter((s) => s.addr !== 0)
    const symbols = opts.systemMap !== undefined ? systemMapSymbols(opts.systemMap) : new SymbolTable(codeSymbols(elf, new Set(exec.map((s) => s.index))))
    return new KernelImage(
      path,
      orc,
      buildVmlinuxOrcTable(orc),
      symbols,
      exec.map((s) => ({ start: s.addr, end: s.addr + s.size })),
    )
  }
}

function systemMapSymbols(text: Uint8Array): SymbolTable {
  return parseKallsyms(text).table
}

/** A module's table and symbols at one placement. */
export interface PlacedModule {
  name: string
  path: string
  /** "[NAME]", as perf names module dsos. */
  dso: string
  table: OrcTable
  symbols: SymbolTable
  /** Executable sections that have a load address: [start, end). */
  ranges: { start: Addr; end: Addr }[]
  /** Sections with ORC entries but no load address in the capture (their entries are dropped). */
  unplacedSections: string[]
}

/** A .ko read once; placed as often as captures place it differently. */
export class ModuleFile {
  private readonly placed = new Map<string, PlacedModule>()

  private constructor(
    readonly path: string,
    readonly elf: ElfFile,
    readonly orc: KernelOrc,
    private readonly exec: ElfSection[],
    private readonly syms: (RawSymbol & { shndx: number })[],
  ) {}

  static load(path: string, opts: { release?: string } = {}): ModuleFile {
    const elf = openElf(path)
    if (elf.type !== ET_REL) throw new UnwindInfoError(`${path}: not a kernel module (ET_REL object)`, 16)
    if (!hasKernelOrc(elf)) throw new UnwindInfoError(`${path}: no .orc_unwind tables`, 0)
    // A module names its own kernel (vermagic); --release only helps files that do not.
    const orc = readKernelOrc(elf, { release: vermagicRelease(elf) === undefined ? opts.release : undefined })
    const exec = execSections(elf)
    return new ModuleFile(path, elf, orc, exec, codeSymbols(elf, new Set(exec.map((s) => s.index))))
  }

  /** Table, symbols and ranges with sections at `sections` (cached per placement). */
  place(name: string, sections: ReadonlyMap<string, Addr>): PlacedModule {
    const key = name + '\0' + [...sections].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)).map(([s, a]) => `${s}=${a}`).join(',')
    const hit = this.placed.get(key)
    if (hit) return hit
    const { table, unplacedSections } = buildModuleOrcTable(this.orc, sections)
    const base = new Map<number, Addr>()
    const ranges: { start: Addr; end: Addr }[] = []
    for (const s of this.exec) {
      const at = sections.get(s.name)
      if (at === undefined) continue
      base.set(s.index, at)
      ranges.push({ start: at, end: at + s.size })
    }
    const syms: RawSymbol[] = []
    for (const s of this.syms) {
      const at = base.get(s.shndx)
      if (at !== undefined) syms.push({ start: at + s.start, size: s.size, name: s.name, bind: s.bind })
    }
    const placed: PlacedModule = { name, path: this.path, dso: `[${name}]`, table, symbols: new SymbolTable(syms), ranges, unplacedSections }
    this.placed.set(key, placed)
    return placed
  }
}

/** One code range of the capture's address space. */
interface Region {
  start: Addr
  end: Addr
  table: OrcTable
  /** Table address = pc - bias. */
  bias: Addr
  symbols: SymbolTable
  dso: string
}

/** The capture's kernel address space: a CodeLookup plus symbolization, one per capture. */
export class CaptureCodeSpace implements CodeLookup {
  private readonly regions: Region[]

  constructor(vmlinux: KernelImage | undefined, kaslrOffset: Addr, modules: readonly PlacedModule[]) {
    const regions: Region[] = []
    if (vmlinux) {
      for (const r of vmlinux.ranges) {
        regions.push({ start: r.start + kaslrOffset, end: r.end + kaslrOffset, table: vmlinux.table, bias: kaslrOffset, symbols: vmlinux.symbols, dso: KERNEL_DSO })
      }
    }
    for (const m of modules) {
      for (const r of m.ranges) regions.push({ start: r.start, end: r.end, table: m.table, bias: 0, symbols: m.symbols, dso: m.dso })
    }
    this.regions = regions.sort((a, b) => a.start - b.start)
  }

  /** The region holding pc (rightmost start <= pc, then a short scan back for overlaps). */
  private regionOf(pc: Addr): Region | undefined {
    const rs = this.regions
    let lo = 0
    let hi = rs.length - 1
    let at = -1
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1
      if (rs[mid]!.start <= pc) {
        at = mid
        lo = mid + 1
      } else hi = mid - 1
    }
    for (let i = at; i >= 0; i--) if (pc < rs[i]!.end) return rs[i]
    return undefined
  }

  find(pc: Addr, out: TableHit): boolean {
    const r = this.regionOf(pc)
    if (!r) return false
    const i = r.table.find(pc - r.bias)
    if (i < 0) return false
    out.table = r.table
    out.index = i
    out.bias = r.bias
    return true
  }

  /** Name a frame: symbol+offset and dso, perf's "[unknown]" outside every region. */
  resolve(addr: Addr, rel: number): ResolvedFrame {
    const r = this.regionOf(addr)
    let symbol: string | undefined
    let symOffset = 0
    if (r) {
      const i = r.symbols.find(addr - r.bias)
      if (i >= 0) {
        symbol = r.symbols.name(i)
        symOffset = addr - r.bias - r.symbols.starts[i]!
      }
    }
    return { addr, symbol, symOffset, dso: r?.dso, relAddr: addr, kind: r ? 'kernel' : 'unknown', reliability: reliabilityName(rel) }
  }
}

export interface KernelCaptureUnwinderOptions {
  vmlinux?: KernelImage
  /** KASLR slide of the captured kernel (runtime address - link address). */
  kaslrOffset?: Addr
  /** Kernel release for ORC files that do not say which layout they use. */
  release?: string
  /** The .ko for a module the capture names, or undefined when there is none. */
  findModule: (m: CapturedModule) => string | undefined
  /** Once per module that cannot be used (no .ko, bad file). */
  onWarning?: (line: string) => void
}

export interface KernelCaptureResult {
  frames: ResolvedFrame[]
  status: WalkStatusNum
  fakeRegs: boolean
  rooted: boolean
  /** Some frame came from (or from below) a frame-pointer guess. */
  unreliable: boolean
  /** Where the walk failed (a read address or the ip whose entry stopped it), 0 if none. */
  badAddr: Addr
}

/** Unwinds captures one after another; module files and placed tables are kept across them. */
export class KernelCaptureUnwinder {
  private readonly files = new Map<string, ModuleFile | undefined>()
  private readonly warned = new Set<string>()
  private readonly out = new FrameBuffer()
  private readonly regs = new UnwindRegs()

  constructor(private readonly opts: KernelCaptureUnwinderOptions) {}

  unwind(c: KernelCapture): KernelCaptureResult {
    const space = this.space(c)
    const mem = new StackMemory(1 + c.extraStacks.length)
    // A read above the end of a copy counts as "cut short" (TRUNCATED), not as a bad pointer:
    // the producer copied less than the whole stack.
    mem.addRange(c.stack.bytes, c.stack.base, c.stack.bytes.length, true)
    for (const s of c.extraStacks) mem.addRange(s.bytes, s.base, s.bytes.length, true)
    const regs = this.toRegs(c)
    const fakeRegs = isFakeRegs(regs)
    const out = this.out
    const status = unwindKernelCapture(regs, mem, space, out)
    const frames: ResolvedFrame[] = []
    let unreliable = false
    for (let i = 0; i < out.length; i++) {
      const rel = out.reliability[i]!
      if (rel !== 0) unreliable = true
      frames.push(space.resolve(out.addrs[i]!, rel))
    }
    return { frames, status, fakeRegs, rooted: isRooted(status), unreliable, badAddr: out.badAddr }
  }

  /** The code space of one capture: the vmlinux plus each named module at its placement. */
  space(c: KernelCapture): CaptureCodeSpace {
    const placed: PlacedModule[] = []
    for (const m of c.modules) {
      const file = this.moduleFile(m)
      if (!file) continue
      const p = file.place(m.name, m.sections)
      if (p.ranges.length === 0) this.warnOnce(`nosec:${m.name}`, `module ${m.name}: the capture gives no load address for its executable sections (.text, …)`)
      placed.push(p)
    }
    return new CaptureCodeSpace(this.opts.vmlinux, this.opts.kaslrOffset ?? 0, placed)
  }

  private moduleFile(m: CapturedModule): ModuleFile | undefined {
    const path = this.opts.findModule(m)
    if (path === undefined) {
      this.warnOnce(`missing:${m.name}`, `module ${m.name}: no .ko found (give --modules DIR or --module PATH); its frames use the frame-pointer guess`)
      return undefined
    }
    if (this.files.has(path)) return this.files.get(path)
    let f: ModuleFile | undefined
    try {
      f = ModuleFile.load(path, { release: this.opts.release })
    } catch (e) {
      this.warnOnce(`bad:${path}`, `module ${m.name}: ${(e as Error).message}; its frames use the frame-pointer guess`)
    }
    this.files.set(path, f)
    return f
  }

  private warnOnce(key: string, line: string): void {
    if (this.warned.has(key)) return
    this.warned.add(key)
    this.opts.onWarning?.(line)
  }

  private toRegs(c: KernelCapture): UnwindRegs {
    const r = this.regs
    const g = c.regs
    r.clear()
    r.ip = g.ip
    r.sp = g.sp
    r.have = RegBit.IP | RegBit.SP
    const set = (v: Addr | undefined, bit: number, put: (v: Addr) => void): void => {
      if (v === undefined) return
      put(v)
      r.have |= bit
    }
    set(g.bp, RegBit.BP, (v) => (r.bp = v))
    set(g.flags, RegBit.FLAGS, (v) => (r.flags = v))
    set(g.cs, RegBit.CS, (v) => (r.cs = v))
    set(g.dx, RegBit.DX, (v) => (r.dx = v))
    set(g.di, RegBit.DI, (v) => (r.di = v))
    set(g.r10, RegBit.R10, (v) => (r.r10 = v))
    set(g.r13, RegBit.R13, (v) => (r.r13 = v))
    set(g.ax, RegBit.AX, (v) => (r.ax = v))
    return r
  }
}
