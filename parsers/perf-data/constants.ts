/**
 * Numeric constants of the perf.data format that the reader needs beyond RecordType (types.ts).
 * Values from include/uapi/linux/perf_event.h and tools/perf/util/header.h; see
 * /work/shared/docs/perf-data-format.md §1, §3, §4 for where each comes from.
 */

/** PERF_SAMPLE_* bits. All fit in 32 bits; bit 63 (CALLCHAIN_EARLY) is perf-internal. */
export const SampleType = {
  IP: 1 << 0, TID: 1 << 1, TIME: 1 << 2, ADDR: 1 << 3, READ: 1 << 4, CALLCHAIN: 1 << 5,
  ID: 1 << 6, CPU: 1 << 7, PERIOD: 1 << 8, STREAM_ID: 1 << 9, RAW: 1 << 10,
  BRANCH_STACK: 1 << 11, REGS_USER: 1 << 12, STACK_USER: 1 << 13, WEIGHT: 1 << 14,
  DATA_SRC: 1 << 15, IDENTIFIER: 1 << 16, TRANSACTION: 1 << 17, REGS_INTR: 1 << 18,
  PHYS_ADDR: 1 << 19, AUX: 1 << 20, CGROUP: 1 << 21, DATA_PAGE_SIZE: 1 << 22,
  CODE_PAGE_SIZE: 1 << 23, WEIGHT_STRUCT: 1 << 24,
} as const

/** Names in bit order, as perf prints sample_type ("IP|TID|TIME"). */
export const SAMPLE_TYPE_NAMES = [
  'IP', 'TID', 'TIME', 'ADDR', 'READ', 'CALLCHAIN', 'ID', 'CPU', 'PERIOD', 'STREAM_ID', 'RAW',
  'BRANCH_STACK', 'REGS_USER', 'STACK_USER', 'WEIGHT', 'DATA_SRC', 'IDENTIFIER', 'TRANSACTION',
  'REGS_INTR', 'PHYS_ADDR', 'AUX', 'CGROUP', 'DATA_PAGE_SIZE', 'CODE_PAGE_SIZE', 'WEIGHT_STRUCT',
] as const

/** PERF_FORMAT_* bits (attr.read_format). */
export const ReadFormat = {
  TOTAL_TIME_ENABLED: 1 << 0, TOTAL_TIME_RUNNING: 1 << 1, ID: 1 << 2, GROUP: 1 << 3, LOST: 1 << 4,
} as const

export const READ_FORMAT_NAMES = ['TOTAL_TIME_ENABLED', 'TOTAL_TIME_RUNNING', 'ID', 'GROUP', 'LOST'] as const

/** PERF_SAMPLE_BRANCH_* names by shift; HW_INDEX adds a u64 hw_idx before the entries. */
export const BRANCH_SAMPLE_NAMES = [
  'USER', 'KERNEL', 'HV', 'ANY', 'ANY_CALL', 'ANY_RETURN', 'IND_CALL', 'ABORT_TX', 'IN_TX', 'NO_TX',
  'COND', 'CALL_STACK', 'IND_JUMP', 'CALL', 'NO_FLAGS', 'NO_CYCLES', 'TYPE_SAVE', 'HW_INDEX',
  'PRIV_SAVE', 'COUNTERS',
] as const
export const BRANCH_HW_INDEX = 1 << 17

/** perf_event_attr sizes by ABI version: VER0 64 … VER8 136. */
export const ATTR_SIZE_VER0 = 64
export const ATTR_SIZE_MAX_KNOWN = 136

/** Feature bits of the file header bitmap (tools/perf/util/header.h enum). */
export const Feature = {
  TRACING_DATA: 1, BUILD_ID: 2, HOSTNAME: 3, OSRELEASE: 4, VERSION: 5, ARCH: 6, NRCPUS: 7,
  CPUDESC: 8, CPUID: 9, TOTAL_MEM: 10, CMDLINE: 11, EVENT_DESC: 12, CPU_TOPOLOGY: 13,
  NUMA_TOPOLOGY: 14, BRANCH_STACK: 15, PMU_MAPPINGS: 16, GROUP_DESC: 17, AUXTRACE: 18, STAT: 19,
  CACHE: 20, SAMPLE_TIME: 21, MEM_TOPOLOGY: 22, CLOCKID: 23, DIR_FORMAT: 24, BPF_PROG_INFO: 25,
  BPF_BTF: 26, COMPRESSED: 27, CPU_PMU_CAPS: 28, CLOCK_DATA: 29, HYBRID_TOPOLOGY: 30,
  PMU_CAPS: 31, CPU_DOMAIN_INFO: 32,
} as const

/** Feature names by bit, as perf prints them in "# missing features:". */
export const FEATURE_NAMES: readonly string[] = [
  'RESERVED', 'TRACING_DATA', 'BUILD_ID', 'HOSTNAME', 'OSRELEASE', 'VERSION', 'ARCH', 'NRCPUS',
  'CPUDESC', 'CPUID', 'TOTAL_MEM', 'CMDLINE', 'EVENT_DESC', 'CPU_TOPOLOGY', 'NUMA_TOPOLOGY',
  'BRANCH_STACK', 'PMU_MAPPINGS', 'GROUP_DESC', 'AUXTRACE', 'STAT', 'CACHE', 'SAMPLE_TIME',
  'MEM_TOPOLOGY', 'CLOCKID', 'DIR_FORMAT', 'BPF_PROG_INFO', 'BPF_BTF', 'COMPRESSED',
  'CPU_PMU_CAPS', 'CLOCK_DATA', 'HYBRID_TOPOLOGY', 'PMU_CAPS', 'CPU_DOMAIN_INFO',
]

/** perf_event_header.misc bits that the decoders look at. */
export const Misc = {
  CPUMODE_MASK: 7,
  /** MMAP/MMAP2: data mapping; COMM: caused by exec. */
  COMM_EXEC: 1 << 13,
  /** MMAP2: the maj/min/ino union holds a build-id. */
  MMAP_BUILD_ID: 1 << 14,
  /** HEADER_BUILD_ID / BUILD_ID feature: byte 20 of the build-id area holds its size. */
  BUILD_ID_SIZE: 1 << 15,
} as const

/** "PERFILE2" read as two little-endian u32 halves. */
export const MAGIC_LO = 0x46524550
export const MAGIC_HI = 0x32454c49
export const FILE_HEADER_SIZE = 104
export const PIPE_HEADER_SIZE = 16
/** Header size of pre-feature-bitmap files (offsetof adds_features). */
export const OLD_FILE_HEADER_SIZE = 72
