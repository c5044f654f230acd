/**
 * Address → (symbol, offset, DSO, kind) for one process at the current time, the way perf script
 * names frames: kernel addresses through kallsyms (modules as [name]) and KSYMBOL records, user
 * addresses through the process's mappings and each binary's symbol table, anonymous executable
 * memory through /tmp/perf-PID.map.
 */
import { join } from 'node:path'
import type { Addr } from '../../parsers/common/addr.js'
import type { Diagnostics } from '../diagnostics.js'
import type { Machine } from '../process/machine.js'
import type { Mapping } from '../process/address-space.js'
import type { FrameKind } from '../../render/model.js'
import { Dso, type DsoOptions } from './dso.js'
import type { Kallsyms } from './kallsyms.js'
import { loadPerfMap, type PerfMap } from './perf-map.js'
import { demangle } from './demangle.js'

/** One resolved name; reused by callers (fields overwritten per frame). */
export class FrameName {
  symbol: string | undefined = undefined
  symOffset = 0
  dso: string | undefined = undefined
  kind: FrameKind = 'unknown'
  /** The address perf script prints: map-relative for file-backed user code, else absolute. */
  printAddr: Addr = 0
}

export interface SymbolizerOptions extends DsoOptions {
  /** Kernel symbols, loaded on first use (most recordings of user code never need them). */
  kallsyms?: () => Kallsyms | undefined
  /** Recorded build-ids by file name (BUILD_ID feature, HEADER_BUILD_ID records). */
  buildIds?: Map<string, string>
}

/** perf's is_anon_memory() and is_no_dso_memory(). */
const PERF_ANON = /^(\/\/anon$|\/dev\/zero|\/anon_hugepage|\[stack|\/SYSV|\[heap\]$)/

/**
 * Mappings that hold JIT or otherwise anonymous code: perf's is_anon_memory and is_no_dso_memory,
 * plus memfds and named anonymous regions (where JITs such as .NET's double-mapper put code),
 * whose addresses the JIT map is asked about first.
 */
export function isAnonMapping(filename: string): boolean {
  return PERF_ANON.test(filename) || filename.startsWith('[anon') || filename.startsWith('/memfd:') || filename === ''
}

/**
 * Where perf 6.1 says code no JIT map names lives (map__new): an executable anonymous or no-DSO
 * mapping becomes "/tmp/perf-PID.map", printed at its absolute address; any other name (a memfd,
 * a named anonymous region) is a file it cannot open, printed at the map-relative address.
 */
function nameUnnamedCode(pid: number, addr: Addr, m: Mapping, out: FrameName): void {
  if (PERF_ANON.test(m.filename)) {
    if (m.exec) out.dso = `/tmp/perf-${pid}.map`
  } else if (m.filename !== '') {
    out.dso = m.filename
    out.printAddr = addr - m.start + m.pgoff
  }
}

export class Symbolizer {
  private readonly dsos = new Map<string, Dso>()
  /** Per-mapping shortcut to its Dso: the per-frame path must not build string keys. */
  private readonly byMapping = new WeakMap<Mapping, Dso | null>()
  private kallsymsLoaded = false
  private kallsyms: Kallsyms | undefined
  /** kallsyms address - recorded address (KASLR moved the kernel between boots). */
  private kallsymsShift = 0
  private readonly perfMaps = new Map<number, PerfMap | undefined>()

  constructor(
    private readonly machine: Machine,
    private readonly opts: SymbolizerOptions,
    private readonly diag: Diagnostics,
  ) {}

  /** The DSO for a file-backed mapping (cached per file name and build-id). */
  dsoFor(m: Mapping): Dso | undefined {
    const known = this.byMapping.get(m)
    if (known !== undefined) return known ?? undefined
    const d = this.dsoByName(m)
    this.byMapping.set(m, d ?? null)
    return d
  }

  private dsoByName(m: Mapping): Dso | undefined {
    if (isAnonMapping(m.filename) || (m.filename.startsWith('[') && m.filename !== '[vdso]')) return undefined
    const buildId = m.buildId ?? this.opts.buildIds?.get(m.filename)
    const key = m.filename + '\0' + (buildId ?? '')
    let d = this.dsos.get(key)
    if (!d) {
      d = new Dso(m.filename, buildId, this.opts, this.diag)
      this.dsos.set(key, d)
    }
    return d
  }

  resolve(pid: number, addr: Addr, out: FrameName): FrameName {
    out.symbol = undefined
    out.symOffset = 0
    out.dso = undefined
    out.kind = 'unknown'
    out.printAddr = addr
    if (addr < 0) return this.resolveKernel(addr, out)
    const m = this.machine.findMapping(pid, addr)
    if (!m || isAnonMapping(m.filename)) return this.resolveJit(pid, addr, out, m)
    out.kind = 'user'
    out.dso = m.filename
    out.printAddr = addr - m.start + m.pgoff
    const dso = this.dsoFor(m)
    if (!dso || !dso.elf) return out
    const svma = addr - dso.bias(m)
    const { table, index } = dso.lookup(svma)
    if (index >= 0) {
      out.symbol = demangle(table.name(index))
      out.symOffset = svma - table.starts[index]!
    }
    return out
  }

  private resolveKernel(addr: Addr, out: FrameName): FrameName {
    out.kind = 'kernel'
    out.dso = '[kernel.kallsyms]'
    const ks = this.machine.findKsymbol(addr)
    if (ks) {
      out.symbol = ks.name
      out.symOffset = addr - ks.start
      return out
    }
    const k = this.kernelSymbols()
    if (!k) return out
    const at = addr + this.kallsymsShift
    const i = k.find(at)
    if (i < 0) return out
    out.symbol = k.name(i)
    out.symOffset = at - k.start(i)
    const mod = k.moduleOf(i)
    if (mod) out.dso = `[${mod}]`
    return out
  }

  private kernelSymbols(): Kallsyms | undefined {
    if (!this.kallsymsLoaded) {
      this.kallsymsLoaded = true
      this.kallsyms = this.opts.kallsyms?.()
      this.kallsymsShift = this.kallsyms ? relocation(this.kallsyms, this.machine.kernelRefSymbol) : 0
    }
    return this.kallsyms
  }

  private resolveJit(pid: number, addr: Addr, out: FrameName, m: Mapping | undefined): FrameName {
    const map = this.perfMap(pid)
    const i = map ? map.table.find(addr) : -1
    if (map && i >= 0) {
      out.kind = 'jit'
      out.dso = `/tmp/perf-${pid}.map`
      out.symbol = map.table.name(i)
      out.symOffset = addr - map.table.starts[i]!
      return out
    }
    if (!m) return out
    out.kind = 'jit'
    nameUnnamedCode(pid, addr, m, out)
    return out
  }

  private perfMap(pid: number): PerfMap | undefined {
    if (this.perfMaps.has(pid)) return this.perfMaps.get(pid)
    const name = `/tmp/perf-${pid}.map`
    const map = (this.opts.symfs ? loadPerfMap(join(this.opts.symfs, name)) : undefined) ?? loadPerfMap(name)
    if (map && map.badLines > 0) this.diag.warnOnce(`perfmap:${pid}`, `${name}: ${map.badLines} unreadable lines skipped`)
    this.perfMaps.set(pid, map)
    return map
  }
}

/** How far the kernel moved between the recording and the kallsyms file (perf's map->reloc). */
function relocation(k: Kallsyms, ref: { name: string; addr: Addr } | undefined): number {
  const now = ref && k.refSymbols.get(ref.name)
  return ref && now !== undefined ? now - ref.addr : 0
}
