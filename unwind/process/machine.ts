/**
 * The recorded machine as the records describe it over time: threads (comm, pid), one address
 * space per process (shared by its threads, copied on fork), the kernel's own mappings, and
 * KSYMBOL (BPF programs, trampolines) ranges. Records must arrive in time order; every query
 * answers for "now", the time of the record last handled.
 */
import type { Addr } from '../../parsers/common/addr.js'
import {
  RecordType,
  type CommRecord,
  type ForkExitRecord,
  type KsymbolRecord,
  type MmapRecord,
  type PerfRecord,
} from '../../parsers/perf-data/types.js'
import { AddressSpace, type Mapping } from './address-space.js'
import { findContaining } from './ranges.js'

/** perf's HOST_KERNEL_ID: kernel and module mappings carry pid -1 (u32 0xffffffff). */
const KERNEL_PID = -1

/** MMAP misc bit: the mapping is not executable (PERF_RECORD_MISC_MMAP_DATA). */
const MISC_MMAP_DATA = 1 << 13
const PROT_EXEC = 4

export interface ThreadInfo {
  pid: number
  comm: string
}

/** perf names the kernel's own map "[kernel.kallsyms]" + the symbol whose address is its pgoff. */
const KERNEL_MAP_PREFIX = '[kernel.kallsyms]'

export class Machine {
  readonly kernel = new AddressSpace()
  /**
   * perf's ref_reloc_sym: the kernel symbol (usually _text) and where it was when recording.
   * Kernel symbols read from another boot (KASLR) are shifted by the difference.
   */
  kernelRefSymbol: { name: string; addr: Addr } | undefined
  private readonly spaces = new Map<number, AddressSpace>()
  /** pid 0 / tid 0 is the idle task, "swapper" in perf's output (machine__idle_thread), with no COMM record. */
  private readonly threads = new Map<number, ThreadInfo>([[0, { pid: 0, comm: 'swapper' }]])
  /** BPF programs and trampolines: sorted [start, end) ranges with names. */
  readonly ksymbols: { start: Addr; end: Addr; name: string; type: number }[] = []

  handle(rec: PerfRecord): void {
    switch (rec.type) {
      case RecordType.MMAP:
      case RecordType.MMAP2:
        return this.mmap(rec as MmapRecord)
      case RecordType.COMM:
        return this.comm(rec as CommRecord)
      case RecordType.FORK:
        return this.fork(rec as ForkExitRecord)
      case RecordType.KSYMBOL:
        return this.ksymbol(rec as KsymbolRecord)
      default:
        return
    }
  }

  /**
   * A thread no COMM or FORK record announced is ":tid", even inside a known process: perf's
   * thread__new does not take the leader's comm. (A sample of a thread already detached from its
   * pid while exiting has tid -1 and its process's pid: perf prints it ":-1".)
   */
  thread(tid: number, pid: number): ThreadInfo {
    let t = this.threads.get(tid)
    if (!t) {
      t = { pid, comm: ':' + tid }
      this.threads.set(tid, t)
    }
    return t
  }

  space(pid: number): AddressSpace {
    let s = this.spaces.get(pid)
    if (!s) {
      s = new AddressSpace()
      this.spaces.set(pid, s)
    }
    return s
  }

  /** Process pid's own address space (user addresses), undefined before its first mmap. */
  spaceOf(pid: number): AddressSpace | undefined {
    return this.spaces.get(pid)
  }

  /** The mapping holding addr for process pid (kernel addresses look in the kernel's space). */
  findMapping(pid: number, addr: Addr): Mapping | undefined {
    if (addr < 0) return this.kernel.find(addr)
    return this.spaces.get(pid)?.find(addr)
  }

  /** The KSYMBOL (BPF program / trampoline) containing addr, if any. */
  findKsymbol(addr: Addr): { start: Addr; end: Addr; name: string; type: number } | undefined {
    return findContaining(this.ksymbols, addr)
  }

  private mmap(r: MmapRecord): void {
    const exec = r.prot !== undefined ? (r.prot & PROT_EXEC) !== 0 : (r.misc & MISC_MMAP_DATA) === 0
    const m: Mapping = { start: r.start, end: r.start + r.len, pgoff: r.pgoff, filename: r.filename, buildId: r.buildId, exec }
    if (!exec) return // data mappings never hold code addresses; keeping them would shadow nothing useful
    const kernel = (r.pid | 0) === KERNEL_PID || r.start < 0
    if (kernel && r.filename.startsWith(KERNEL_MAP_PREFIX)) {
      this.kernelRefSymbol = { name: r.filename.slice(KERNEL_MAP_PREFIX.length), addr: r.pgoff }
    }
    if (kernel) this.kernel.insert(m)
    else this.space(r.pid).insert(m)
  }

  private comm(r: CommRecord): void {
    const t = this.thread(r.tid, r.pid)
    t.comm = r.comm
    t.pid = r.pid
  }

  private fork(r: ForkExitRecord): void {
    const parent = this.threads.get(r.ptid)
    this.threads.set(r.tid, { pid: r.pid, comm: parent?.comm ?? ':' + r.tid })
    if (r.pid !== r.ppid && !this.spaces.has(r.pid)) {
      // A new process starts with a copy of its parent's mappings (until it execs).
      const from = this.spaces.get(r.ppid)
      this.spaces.set(r.pid, new AddressSpace(from))
    }
  }

  private ksymbol(r: KsymbolRecord): void {
    const UNREGISTER = 1
    const i = this.ksymbols.findIndex((k) => k.start === r.addr)
    if (i >= 0) this.ksymbols.splice(i, 1)
    if (r.flags & UNREGISTER) return
    this.ksymbols.push({ start: r.addr, end: r.addr + r.len, name: r.name, type: r.ksymType })
    this.ksymbols.sort((a, b) => a.start - b.start)
  }
}
