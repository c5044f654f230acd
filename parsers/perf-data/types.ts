/**
 * Parsed perf.data records: the contract between parsers/perf-data and everything downstream.
 * Addresses are `Addr` (signed-interpretation u64, see parsers/common/addr.ts). Byte payloads
 * (stack copies, raw data) are views into the reader's current chunk, valid until the consumer
 * asks for the next record; copy them if you keep them.
 */
import type { Addr } from '../common/addr.js'

/** Kernel record types (include/uapi/linux/perf_event.h) and perf's user types (>= 64). */
export const RecordType = {
  MMAP: 1, LOST: 2, COMM: 3, EXIT: 4, THROTTLE: 5, UNTHROTTLE: 6, FORK: 7, READ: 8, SAMPLE: 9,
  MMAP2: 10, AUX: 11, ITRACE_START: 12, LOST_SAMPLES: 13, SWITCH: 14, SWITCH_CPU_WIDE: 15,
  NAMESPACES: 16, KSYMBOL: 17, BPF_EVENT: 18, CGROUP: 19, TEXT_POKE: 20, AUX_OUTPUT_HW_ID: 21,
  CALLCHAIN_DEFERRED: 22,
  HEADER_ATTR: 64, HEADER_EVENT_TYPE: 65, HEADER_TRACING_DATA: 66, HEADER_BUILD_ID: 67,
  FINISHED_ROUND: 68, ID_INDEX: 69, AUXTRACE_INFO: 70, AUXTRACE: 71, AUXTRACE_ERROR: 72,
  THREAD_MAP: 73, CPU_MAP: 74, STAT_CONFIG: 75, STAT: 76, STAT_ROUND: 77, EVENT_UPDATE: 78,
  TIME_CONV: 79, HEADER_FEATURE: 80, COMPRESSED: 81, FINISHED_INIT: 82, COMPRESSED2: 83,
  BPF_METADATA: 84, SCHEDSTAT_CPU: 85, SCHEDSTAT_DOMAIN: 86,
} as const

/** PERF_CONTEXT_* callchain markers, as Addr (signed) values. */
export const PerfContext = {
  HV: -32, KERNEL: -128, USER: -512, GUEST: -2048, GUEST_KERNEL: -2176, GUEST_USER: -2560,
  /** Anything <= MAX (i.e. u64 >= (u64)-4095) is a marker, not an address. */
  MAX: -4095,
} as const

/** Fields common to all non-sample records when sample_id_all is set (the sample_id trailer). */
export interface SampleId {
  pid?: number
  tid?: number
  time?: number
  id?: number
  streamId?: number
  cpu?: number
}

export interface RegsSample {
  abi: number
  /** The attr's register mask; bit i set means register i is present (perf_event_x86_regs order). */
  mask: bigint
  /** Values in ascending mask-bit order, as Addr (exact for addresses; other values may round). */
  values: Float64Array
  /** Index into `values` for each x86 register number, -1 when not captured. Shared per attr. */
  index: Int8Array
}

export interface SampleRecord {
  type: typeof RecordType.SAMPLE
  /** Index into PerfFile.attrs of the event this sample belongs to. */
  attrIndex: number
  misc: number
  /** Byte offset of the record in the (decompressed) stream, for error messages. */
  offset: number
  ip?: Addr
  pid?: number
  tid?: number
  time?: number
  addr?: Addr
  id?: number
  streamId?: number
  cpu?: number
  period?: number
  callchain?: Float64Array
  /** The callchain's raw u64s (a view), for entries a number cannot hold exactly. */
  callchainBytes?: Uint8Array
  raw?: Uint8Array
  regsUser?: RegsSample
  stackUser?: Uint8Array
  /** dyn_size: how many bytes of stackUser the kernel really filled. */
  stackUserDynSize?: number
  regsIntr?: RegsSample
  weight?: number
  dataSrc?: number
  transaction?: number
  physAddr?: number
  cgroup?: number
  dataPageSize?: number
  codePageSize?: number
  // READ, BRANCH_STACK and AUX are parsed by the reader into these when present:
  read?: ReadValues
  branchStack?: BranchEntry[]
  branchHwIdx?: number
  aux?: Uint8Array
}

export interface ReadValues {
  timeEnabled?: number
  timeRunning?: number
  values: { value: number; id?: number; lost?: number }[]
}

export interface BranchEntry {
  from: Addr
  to: Addr
  flags: number
}

export interface MmapRecord {
  type: typeof RecordType.MMAP | typeof RecordType.MMAP2
  misc: number
  offset: number
  pid: number
  tid: number
  start: Addr
  len: number
  /** File offset of `start`; for the kernel's "[kernel.kallsyms]_text" map, the address of _text (so an Addr). */
  pgoff: Addr
  filename: string
  /** MMAP2 with PERF_RECORD_MISC_MMAP_BUILD_ID: hex build-id. */
  buildId?: string
  maj?: number
  min?: number
  ino?: number
  prot?: number
  flags?: number
  sampleId: SampleId
}

export interface CommRecord {
  type: typeof RecordType.COMM
  misc: number
  offset: number
  pid: number
  tid: number
  comm: string
  /** PERF_RECORD_MISC_COMM_EXEC */
  exec: boolean
  sampleId: SampleId
}

export interface ForkExitRecord {
  type: typeof RecordType.FORK | typeof RecordType.EXIT
  misc: number
  offset: number
  pid: number
  ppid: number
  tid: number
  ptid: number
  time: number
  sampleId: SampleId
}

export interface KsymbolRecord {
  type: typeof RecordType.KSYMBOL
  misc: number
  offset: number
  addr: Addr
  len: number
  ksymType: number
  flags: number
  name: string
  sampleId: SampleId
}

export interface LostRecord {
  type: typeof RecordType.LOST | typeof RecordType.LOST_SAMPLES
  misc: number
  offset: number
  id?: number
  lost: number
  sampleId: SampleId
}

/** Any record the reader does not decode into its own shape (still counted by type). */
export interface OtherRecord {
  type: number
  misc: number
  offset: number
  /** View of the record body (after the 8-byte header). */
  body: Uint8Array
  sampleId?: SampleId
}

export type PerfRecord =
  | SampleRecord
  | MmapRecord
  | CommRecord
  | ForkExitRecord
  | KsymbolRecord
  | LostRecord
  | OtherRecord
