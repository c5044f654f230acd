import type { Addr } from '../common/addr.js'

/**
 * Shapes of `perf data convert --to-json OUT -i perf.data` output (perf 6.1,
 * tools/perf/util/data-convert-json.c). The file is one object, keys in this order:
 *
 *   { "linux-perf-json-version": 1,
 *     "headers": { "header-version": 1, "captured-on": "2026-…Z", "data-offset": 264, …,
 *                  "hostname": "vm", "os-release": "6.18…", "arch": "x86_64", "perf-version": "6.1.187",
 *                  "cmdline": ["/usr/bin/perf", "record", …] },
 *     "samples": [ { "timestamp": 521052695079, "pid": 13981, "tid": 13983, ["cpu": 1,] "comm": "fpdemo",
 *                    "callchain": [ { "ip": "0x7fdd6d901bf4", "symbol": "msort_with_tmp.part.0", "dso": "libc.so.6" }, … ] }, … ] }
 *
 * perf 6.1 writes no event name and no period; "cpu" only when the recording has PERF_SAMPLE_CPU.
 * The callchain is perf's own, leaf first, after its context markers are removed; it is empty for
 * `--call-graph dwarf` samples (convert does not unwind) and for samples perf could not resolve.
 * perf 6.1 cannot convert pipe-mode recordings (it segfaults).
 */
export interface PerfJsonFrame {
  /** Instruction address, signed 64-bit interpretation (see parsers/common/addr.ts). */
  ip: Addr
  /** Symbol name as perf resolved it at convert time; absent when unresolved. */
  symbol?: string
  /** DSO short name ("libc.so.6", "[kernel.kallsyms]"); absent when unresolved. */
  dso?: string
}

export interface PerfJsonSample {
  pid: number
  tid: number
  comm: string
  /** "timestamp" in ns; exact below 2^53 ns (104 days of uptime), rounded above (e.g. with --tod). */
  time: number
  cpu?: number
  /** Not written by perf 6.1; kept for newer converters. */
  period?: number
  /** Not written by perf 6.1; kept for newer converters. */
  event?: string
  /** Leaf first. */
  callchain: PerfJsonFrame[]
  /** Any other keys of the sample object (e.g. tracepoint fields of newer perf), as parsed. */
  extra?: Record<string, unknown>
}

/** The "headers" object; all keys optional since they mirror whichever header features the file had. */
export interface PerfJsonHeaders {
  'header-version'?: number
  'captured-on'?: string
  'data-offset'?: number
  'data-size'?: number
  'feat-offset'?: number
  hostname?: string
  'os-release'?: string
  arch?: string
  'cpu-desc'?: string
  cpuid?: string
  'nrcpus-online'?: number
  'nrcpus-avail'?: number
  'perf-version'?: string
  cmdline?: string[]
  [key: string]: unknown
}

export interface PerfJsonHeader {
  /** "linux-perf-json-version" (1 for perf 5.13 … 6.x). */
  version: number
  headers: PerfJsonHeaders
}
