/**
 * `perf-orc header`: the text `perf report --header-only -i FILE` prints (perf 6.1,
 * tools/perf/util/header.c print_* and util/perf_event_attr_fprintf.c), for the features the
 * reader decodes. Features it only knows as present get perf's "info available" line.
 */
import { ATTR_FLAG_BITS, attrFlag, type EventAttr } from '../parsers/perf-data/attr.js'
import {
  BRANCH_SAMPLE_NAMES, Feature as F, FEATURE_NAMES, READ_FORMAT_NAMES, SAMPLE_TYPE_NAMES,
} from '../parsers/perf-data/constants.js'
import type { PerfFile } from '../parsers/perf-data/perf-file.js'

/** perf 6.1's HEADER_LAST_FEATURE: "missing features" lists bits 1..31. */
const LAST_FEATURE_61 = 32
/** Features perf prints only with -I (FEAT_OPR(..., full_only = true)). */
const FULL_ONLY = new Set<number>([F.CPU_TOPOLOGY, F.NUMA_TOPOLOGY, F.CACHE, F.MEM_TOPOLOGY, F.HYBRID_TOPOLOGY])

/**
 * perf's own print order for sample_type (perf_event_attr_fprintf.c __p_sample_type), which is
 * not bit order: IDENTIFIER and REGS_INTR come before DATA_SRC and WEIGHT. perf omits
 * TRANSACTION; we print it last.
 */
const SAMPLE_TYPE_PRINT_ORDER = [
  'IP', 'TID', 'TIME', 'ADDR', 'READ', 'CALLCHAIN', 'ID', 'CPU', 'PERIOD', 'STREAM_ID', 'RAW',
  'BRANCH_STACK', 'REGS_USER', 'STACK_USER', 'IDENTIFIER', 'REGS_INTR', 'DATA_SRC', 'WEIGHT',
  'PHYS_ADDR', 'AUX', 'CGROUP', 'DATA_PAGE_SIZE', 'CODE_PAGE_SIZE', 'WEIGHT_STRUCT', 'TRANSACTION',
].map((name) => [name, 1 << SAMPLE_TYPE_NAMES.indexOf(name as (typeof SAMPLE_TYPE_NAMES)[number])] as const)

function sampleTypeNames(value: number): string {
  return SAMPLE_TYPE_PRINT_ORDER.filter(([, bit]) => value & bit).map(([name]) => name).join('|')
}

function bitNames(value: number, names: readonly string[]): string {
  const out: string[] = []
  for (let bit = 0; bit < names.length; bit++) if (value & (1 << bit)) out.push(names[bit]!)
  return out.join('|')
}

/** " , key = value" pairs of one attr, non-zero fields only, in perf_event_attr__fprintf order. */
function attrFields(a: EventAttr): string[] {
  const f: string[] = []
  const put = (k: string, v: number | bigint | string): void => {
    if (v !== 0 && v !== 0n && v !== '') f.push(`${k} = ${v}`)
  }
  const hex = (v: bigint): string => (v === 0n ? '' : `0x${v.toString(16)}`)
  put('type', a.type)
  put('size', a.size)
  put('config', hex(a.config))
  put('{ sample_period, sample_freq }', a.samplePeriod)
  put('sample_type', sampleTypeNames(a.sampleType))
  put('read_format', bitNames(a.readFormat, READ_FORMAT_NAMES))
  for (const [name, bit] of ATTR_FLAG_BITS) put(name, attrFlag(a.flags, bit))
  put('{ wakeup_events, wakeup_watermark }', a.wakeupEvents)
  put('bp_type', a.bpType)
  put('{ bp_addr, config1 }', hex(a.config1))
  put('{ bp_len, config2 }', hex(a.config2))
  put('branch_sample_type', bitNames(a.branchSampleType, BRANCH_SAMPLE_NAMES))
  put('sample_regs_user', hex(a.sampleRegsUser))
  put('sample_stack_user', a.sampleStackUser)
  put('clockid', a.clockid)
  put('sample_regs_intr', hex(a.sampleRegsIntr))
  put('aux_watermark', a.auxWatermark)
  put('sample_max_stack', a.sampleMaxStack)
  put('aux_sample_size', a.auxSampleSize)
  put('sig_data', a.sigData)
  put('config3', hex(a.config3))
  return f
}

/** "# event : name = X, , id = { 1, 2 }, type = 1, ..." (the ", ," is perf's own). */
export function formatEventLine(a: EventAttr): string {
  let s = `# event : name = ${a.name}, `
  if (a.ids.length) s += `, id = { ${a.ids.join(', ')} }`
  for (const field of attrFields(a)) s += `, ${field}`
  return s
}

/** timestamp__scnprintf_usec: seconds.microseconds. */
function usec(ns: number): string {
  const sec = Math.floor(ns / 1e9)
  const us = Math.floor((ns % 1e9) / 1e3)
  return `${sec}.${String(us).padStart(6, '0')}`
}

function featureLines(file: PerfFile, feat: number): string[] {
  switch (feat) {
    case F.HOSTNAME: return [`# hostname : ${file.hostname ?? ''}`]
    case F.OSRELEASE: return [`# os release : ${file.osRelease ?? ''}`]
    case F.VERSION: return [`# perf version : ${file.version ?? ''}`]
    case F.ARCH: return [`# arch : ${file.arch ?? ''}`]
    case F.NRCPUS: return file.nrCpus ? [`# nrcpus online : ${file.nrCpus.online}`, `# nrcpus avail : ${file.nrCpus.available}`] : []
    case F.CPUDESC: return [`# cpudesc : ${file.cpuDesc ?? ''}`]
    case F.CPUID: return [`# cpuid : ${file.cpuId ?? ''}`]
    case F.TOTAL_MEM: return [`# total memory : ${file.totalMem ?? 0} kB`]
    case F.CMDLINE: return [`# cmdline : ${(file.cmdline ?? []).map((a) => a + ' ').join('')}`]
    case F.EVENT_DESC: return (file.eventDesc?.map((d) => d.attr) ?? file.attrs).map(formatEventLine)
    case F.PMU_MAPPINGS: return [`# pmu mappings: ${(file.pmuMappings ?? []).map((m) => `${m.name} = ${m.type}`).join(', ')}`]
    case F.GROUP_DESC: return groupLines(file)
    case F.SAMPLE_TIME: return sampleTimeLines(file)
    case F.CLOCKID: return file.clockId !== undefined ? [`# clockid frequency: ${file.clockId * 1000} MHz`] : []
    case F.CLOCK_DATA: return clockDataLines(file)
    case F.COMPRESSED: {
      const c = file.compressed
      return c ? [`# compressed : ${c.type === 1 ? 'Zstd' : 'Unknown'}, level = ${c.level}, ratio = ${c.ratio}`] : []
    }
    case F.BRANCH_STACK: return ['# contains samples with branch stack']
    case F.AUXTRACE: return ['# contains AUX area data (e.g. instruction trace)']
    case F.STAT: return ['# contains stat data']
    default:
      return FULL_ONLY.has(feat) ? [`# ${FEATURE_NAMES[feat]} info available, use -I to display`] : []
  }
}

function groupLines(file: PerfFile): string[] {
  const out: string[] = []
  for (const g of file.groupDesc ?? []) {
    if (g.nrMembers <= 1) continue
    const members = file.attrs.slice(g.leaderIdx, g.leaderIdx + g.nrMembers).map((a) => a.name)
    out.push(`# group: ${g.name === '{anon_group}' ? '' : g.name}{${members.join(',')}}`)
  }
  return out
}

function sampleTimeLines(file: PerfFile): string[] {
  const t = file.sampleTime
  if (!t) return []
  const ms = (t.last - t.first) / 1e6
  return [
    `# time of first sample : ${usec(t.first)}`,
    `# time of last sample : ${usec(t.last)}`,
    `# sample duration : ${ms.toFixed(3).padStart(10)} ms`,
  ]
}

/** perf's clockids table (util/clockid.c): the first name listed for an id is the one printed. */
const CLOCK_NAMES: Record<number, string> = { 0: 'realtime', 1: 'monotonic', 4: 'monotonic_raw', 7: 'boottime', 11: 'tai' }

/** print_clock_data (util/header.c): the clock and the reference pair (TOD, that clock). */
function clockDataLines(file: PerfFile): string[] {
  const c = file.clockData
  if (!c) return ['# reference time disabled']
  const name = CLOCK_NAMES[c.clockid] ?? '(not found)'
  const todSec = c.todNs / 1_000_000_000n
  const todUsec = String((c.todNs % 1_000_000_000n) / 1000n).padStart(6, '0')
  const clkSec = c.clockidNs / 1_000_000_000n
  const clkNsec = String(c.clockidNs % 1_000_000_000n).padStart(9, '0')
  const d = new Date(Number(todSec) * 1000)
  const p2 = (n: number): string => String(n).padStart(2, '0')
  // strftime "%F %T" in local time, as perf's localtime_r.
  const date = `${d.getFullYear()}-${p2(d.getMonth() + 1)}-${p2(d.getDate())} ${p2(d.getHours())}:${p2(d.getMinutes())}:${p2(d.getSeconds())}`
  return [
    `# clockid: ${name} (${c.clockid})`,
    `# reference time: ${date}.${todUsec} = ${todSec}.${todUsec} (TOD) = ${clkSec}.${clkNsec} (${name})`,
  ]
}

function buildIdLines(file: PerfFile): string[] {
  return file.buildIds.map((b) => `# build id : ${b.buildId} ${b.filename}`)
}

export function formatHeader(file: PerfFile): string {
  const lines = ['# ========']
  if (file.mtime) lines.push(`# captured on    : ${perfDate(file.mtime)}`)
  if (!file.pipe) {
    lines.push('# header version : 1')
    lines.push(`# data offset    : ${file.dataOffset}`)
    lines.push(`# data size      : ${file.dataSize}`)
    lines.push(`# feat offset    : ${file.featOffset}`)
  }
  const present = [...file.features].sort((a, b) => a - b)
  for (const feat of present) lines.push(...featureLines(file, feat))
  if (!file.features.has(F.EVENT_DESC)) lines.push(...file.attrs.map(formatEventLine))
  lines.push(...buildIdLines(file))
  const missing: string[] = []
  for (let feat = 1; feat < LAST_FEATURE_61; feat++) if (!file.features.has(feat)) missing.push(FEATURE_NAMES[feat]!)
  if (missing.length) lines.push(`# missing features: ${missing.map((m) => m + ' ').join('')}`)
  lines.push('# ========', '#')
  return lines.join('\n') + '\n'
}

/** ctime(3)-style date as perf prints "captured on": "Sun Nov 22 01:42:55 2026". */
function perfDate(d: Date): string {
  const days = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat']
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec']
  const p2 = (n: number): string => String(n).padStart(2, '0')
  return `${days[d.getDay()]} ${months[d.getMonth()]} ${String(d.getDate()).padStart(2, ' ')} ${p2(d.getHours())}:${p2(d.getMinutes())}:${p2(d.getSeconds())} ${d.getFullYear()}`
}
