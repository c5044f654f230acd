/**
 * perf_event_attr: decoding every ABI size from VER0 (64 bytes) to VER8 (136) and beyond.
 * A field at an offset >= attr.size is absent and reads as 0 (perf zero-fills the same way).
 * Layout: /work/shared/docs/perf-data-format.md §3.
 */
import { PerfDataError } from '../common/errors.js'
import { ATTR_SIZE_VER0 } from './constants.js'

export interface EventAttr {
  type: number
  /** attr.size as written (0 in the file is reported as 64, as perf does). */
  size: number
  config: bigint
  /** sample_period, or sample_freq when `freq` is set (same u64). */
  samplePeriod: number
  sampleType: number
  readFormat: number
  /** The raw flags bitfield word (offset 40). */
  flags: bigint
  disabled: boolean
  inherit: boolean
  excludeUser: boolean
  excludeKernel: boolean
  excludeHv: boolean
  excludeIdle: boolean
  excludeHost: boolean
  excludeGuest: boolean
  excludeCallchainKernel: boolean
  excludeCallchainUser: boolean
  freq: boolean
  preciseIp: number
  sampleIdAll: boolean
  useClockid: boolean
  wakeupEvents: number
  bpType: number
  config1: bigint
  config2: bigint
  branchSampleType: number
  sampleRegsUser: bigint
  sampleStackUser: number
  clockid: number
  sampleRegsIntr: bigint
  auxWatermark: number
  sampleMaxStack: number
  auxSampleSize: number
  sigData: bigint
  config3: bigint
  /** Event name: EVENT_DESC / EVENT_UPDATE name when known, else a default like perf's. */
  name: string
  /** Sample ids of this event (one per cpu/thread fd). */
  ids: number[]
}

/** Flag bit positions in the flags word (UAPI bitfield order, little-endian allocation). */
export const ATTR_FLAG_BITS: readonly [string, number][] = [
  ['disabled', 0], ['inherit', 1], ['pinned', 2], ['exclusive', 3], ['exclude_user', 4],
  ['exclude_kernel', 5], ['exclude_hv', 6], ['exclude_idle', 7], ['mmap', 8], ['comm', 9],
  ['freq', 10], ['inherit_stat', 11], ['enable_on_exec', 12], ['task', 13], ['watermark', 14],
  ['precise_ip', 15], ['mmap_data', 17], ['sample_id_all', 18], ['exclude_host', 19],
  ['exclude_guest', 20], ['exclude_callchain_kernel', 21], ['exclude_callchain_user', 22],
  ['mmap2', 23], ['comm_exec', 24], ['use_clockid', 25], ['context_switch', 26],
  ['write_backward', 27], ['namespaces', 28], ['ksymbol', 29], ['bpf_event', 30],
  ['aux_output', 31], ['cgroup', 32], ['text_poke', 33], ['build_id', 34],
  ['inherit_thread', 35], ['remove_on_exec', 36], ['sigtrap', 37],
]

/** Value of one flag; precise_ip is the only 2-bit field. */
export function attrFlag(flags: bigint, bit: number): number {
  const width = bit === 15 ? 3n : 1n
  return Number((flags >> BigInt(bit)) & width)
}

/** Size of attr.size when the file says 0 (ABI0). */
function effectiveSize(raw: number): number {
  return raw === 0 ? ATTR_SIZE_VER0 : raw
}

/**
 * Decode the attr at `off` in `view`. `avail` is how many bytes the container gives it (the
 * file's attr_size - 16, the HEADER_ATTR body, the EVENT_DESC attr_size). `fileOffset` is where
 * `off` sits in the stream, for errors.
 */
export function parseEventAttr(view: DataView, off: number, avail: number, fileOffset: number): EventAttr {
  if (avail < ATTR_SIZE_VER0 || off + ATTR_SIZE_VER0 > view.byteLength) {
    throw new PerfDataError(`perf_event_attr needs 64 bytes, only ${avail} available`, fileOffset)
  }
  const size = effectiveSize(view.getUint32(off + 4, true))
  if (size < ATTR_SIZE_VER0 || size > avail || off + size > view.byteLength) {
    throw new PerfDataError(`perf_event_attr.size ${size} does not fit the ${avail} bytes given`, fileOffset)
  }
  // Every read past attr.size is a field this ABI version lacks: it is 0.
  const u32 = (o: number): number => (o + 4 <= size ? view.getUint32(off + o, true) : 0)
  const u16 = (o: number): number => (o + 2 <= size ? view.getUint16(off + o, true) : 0)
  const u64 = (o: number): bigint => (o + 8 <= size ? view.getBigUint64(off + o, true) : 0n)
  const flags = u64(40)
  const flag = (bit: number): boolean => attrFlag(flags, bit) !== 0
  return {
    type: u32(0), size, config: u64(8), samplePeriod: Number(u64(16)),
    // Only the low 32 bits are defined PERF_SAMPLE_* bits (MAX is 1<<25).
    sampleType: u32(24), readFormat: u32(32), flags,
    disabled: flag(0), inherit: flag(1), excludeUser: flag(4), excludeKernel: flag(5),
    excludeHv: flag(6), excludeIdle: flag(7), excludeHost: flag(19), excludeGuest: flag(20),
    excludeCallchainKernel: flag(21), excludeCallchainUser: flag(22), freq: flag(10),
    preciseIp: attrFlag(flags, 15), sampleIdAll: flag(18), useClockid: flag(25),
    wakeupEvents: u32(48), bpType: u32(52), config1: u64(56), config2: u64(64),
    branchSampleType: u32(72), sampleRegsUser: u64(80), sampleStackUser: u32(88),
    clockid: u32(92) | 0, sampleRegsIntr: u64(96), auxWatermark: u32(104),
    sampleMaxStack: u16(108), auxSampleSize: u32(112), sigData: u64(120), config3: u64(128),
    name: '', ids: [],
  }
}

const HW_NAMES = [
  'cycles', 'instructions', 'cache-references', 'cache-misses', 'branches', 'branch-misses',
  'bus-cycles', 'stalled-cycles-frontend', 'stalled-cycles-backend', 'ref-cycles',
]
const SW_NAMES = [
  'cpu-clock', 'task-clock', 'page-faults', 'context-switches', 'cpu-migrations',
  'minor-faults', 'major-faults', 'alignment-faults', 'emulation-faults', 'dummy',
  'bpf-output', 'cgroup-switches',
]

/**
 * The name perf would show without EVENT_DESC (evsel__name for HARDWARE/SOFTWARE). Tracepoints
 * need TRACING_DATA to name ("sched:sched_switch"); without it we say "tracepoint:0x<config>".
 */
export function defaultEventName(attr: EventAttr): string {
  const config = Number(attr.config & 0xffffffffn)
  if (attr.type === 0) return HW_NAMES[config] ?? `raw 0x${config.toString(16)}`
  if (attr.type === 1) return SW_NAMES[config] ?? `software 0x${config.toString(16)}`
  if (attr.type === 2) return `tracepoint:0x${config.toString(16)}`
  return `${attr.type}:0x${attr.config.toString(16)}`
}
