/**
 * Wires the stages: perf.data reader → machine model → (unwinder) → symbolizer → samples.
 * Everything here is plumbing; each stage lives in its own module.
 */
import { closeSync, openSync, readSync } from 'node:fs'
import { hostname, release } from 'node:os'
import { readPerfJson, readPerfJsonHeader } from '../parsers/perf-json/read-perf-json.js'
import { PerfJsonError } from '../parsers/perf-json/errors.js'
import { PerfDataError } from '../parsers/common/errors.js'
import { resolveJsonSample } from '../unwind/json-sample.js'
import { openPerfData, type PerfDataReader } from '../parsers/perf-data/reader.js'
import { RecordType, type LostRecord, type SampleRecord } from '../parsers/perf-data/types.js'
import type { PerfFile } from '../parsers/perf-data/perf-file.js'
import { Diagnostics } from '../unwind/diagnostics.js'
import { Machine } from '../unwind/process/machine.js'
import { SampleResolver, type UserUnwinder } from '../unwind/sample-resolver.js'
import type { Kallsyms } from '../unwind/symbols/kallsyms.js'
import { loadKallsyms } from '../unwind/symbols/kallsyms-file.js'
import { Symbolizer } from '../unwind/symbols/symbolizer.js'
import { perfCachedCopy } from '../unwind/symbols/perf-buildid-cache.js'
import type { PipelineCounts, ProfileMeta, ResolvedSample } from '../render/model.js'

export interface InputOptions {
  input: string
  symfs?: string
  kallsyms?: string
}

export interface PipelineContext {
  reader: PerfDataReader
  machine: Machine
  symbolizer: Symbolizer
  diag: Diagnostics
}

/** Builds the user-stack unwinder once the file's metadata is known (dwarf mode only). */
export type UnwinderFactory = (ctx: PipelineContext) => UserUnwinder | undefined

export interface PipelineResult {
  file: PerfFile
  counts: PipelineCounts
  diag: Diagnostics
}

/**
 * Kernel symbols: --kallsyms FILE when given; else the copy of kallsyms that `perf record` left in
 * its build-id cache for the recorded kernel ([kernel.kallsyms]/BUILD-ID/kallsyms there, the
 * symbols as they were while recording, module addresses included); else /proc/kallsyms when the
 * recording was made on this machine and kernel (hostname and os release match). The cached copy
 * is a plain file: reading it takes ~10 ms where /proc/kallsyms makes the kernel format 120k lines
 * (~90 ms). Read when the first kernel address needs a name; the kernel's own output is searched
 * where it lies rather than parsed (sorted-kallsyms.ts), a --kallsyms file of any other origin parsed.
 */
function kernelSymbols(opts: InputOptions, file: PerfFile, diag: Diagnostics): Kallsyms | undefined {
  if (opts.kallsyms) {
    const k = loadKallsyms(opts.kallsyms, false)
    if (!k) diag.warnOnce('kallsyms', `${opts.kallsyms}: no usable kernel symbols`)
    return k
  }
  const kernel = file.buildIds.find((b) => b.filename === '[kernel.kallsyms]')
  const cached = perfCachedCopy('[kernel.kallsyms]', kernel?.buildId, 'kallsyms')
  const k = cached ? loadKallsyms(cached, true) : undefined
  if (k) return k
  const sameMachine = file.hostname === hostname() && file.osRelease === release()
  return sameMachine ? loadKallsyms('/proc/kallsyms', true) : undefined
}

/**
 * openPerfData for a command's input ('-' is stdin). A fault in the header or attrs names the
 * file, as one in the data does: "<file>: <what> at offset 0x…".
 */
export async function openRecording(input: string): Promise<PerfDataReader> {
  try {
    return await openPerfData(input === '-' ? process.stdin : input)
  } catch (e) {
    if (e instanceof PerfDataError) e.message = `${input}: ${e.message}`
    throw e
  }
}

export async function runPipeline(
  opts: InputOptions,
  onSample: (s: ResolvedSample, rec: SampleRecord, file: PerfFile, ctx: PipelineContext) => void | Promise<void>,
  makeUnwinder?: UnwinderFactory,
  onWarning?: (line: string) => void,
): Promise<PipelineResult> {
  const diag = new Diagnostics()
  diag.onWarning = onWarning
  const reader = await openRecording(opts.input)
  const machine = new Machine()
  let resolver: SampleResolver | undefined
  let unwinder: UserUnwinder | undefined
  let ctx: PipelineContext | undefined
  const counts: PipelineCounts = { lostSamples: 0, unknownRecords: 0 }
  for await (const rec of reader.records()) {
    if (rec.type !== RecordType.SAMPLE) {
      if (rec.type === RecordType.LOST || rec.type === RecordType.LOST_SAMPLES) counts.lostSamples += (rec as LostRecord).lost
      machine.handle(rec)
      continue
    }
    if (!resolver) {
      // In pipe mode attrs and features arrive as records: build symbols at the first sample.
      const file = reader.file
      const buildIds = new Map(file.buildIds.map((b) => [b.filename, b.buildId]))
      const symbolizer = new Symbolizer(machine, { symfs: opts.symfs, kallsyms: () => kernelSymbols(opts, file, diag), buildIds }, diag)
      ctx = { reader, machine, symbolizer, diag }
      unwinder = makeUnwinder?.(ctx)
      resolver = new SampleResolver(machine, symbolizer, (i) => file.eventName(i), unwinder, file.osRelease)
    }
    await onSample(resolver.resolve(rec as SampleRecord), rec as SampleRecord, reader.file, ctx!)
  }
  counts.unknownRecords = reader.stats.skippedUnknown
  const walkEnds = unwinder?.walkEnds()
  if (walkEnds && Object.keys(walkEnds).length > 0) counts.walkEnds = walkEnds
  const tables = unwinder?.tableSummary?.()
  if (tables && Object.keys(tables).length > 0) counts.unwindTables = tables
  if (reader.error) counts.readError = `${opts.input}: ${reader.error.message}`
  return { file: reader.file, counts, diag }
}

/** perf.data starts with "PERFILE2"; `perf data convert --to-json` output with "{". */
export function isJsonInput(path: string): boolean {
  if (path === '-') return false
  let fd: number | undefined
  try {
    fd = openSync(path, 'r')
    const head = Buffer.alloc(64)
    const n = readSync(fd, head, 0, head.length, 0)
    return head.subarray(0, n).toString('latin1').trimStart().startsWith('{')
  } catch {
    return false
  } finally {
    if (fd !== undefined) closeSync(fd)
  }
}

/**
 * Samples from a `perf data convert --to-json` file: already unwound and named by perf, so they
 * skip the machine model and the unwinder. A fault ends the stream after every earlier sample.
 */
export async function runJsonPipeline(path: string, onSample: (s: ResolvedSample) => void | Promise<void>): Promise<{ meta: ProfileMeta; counts: PipelineCounts }> {
  const header = await readPerfJsonHeader(path)
  const counts: PipelineCounts = { lostSamples: 0, unknownRecords: 0 }
  try {
    for await (const j of readPerfJson(path)) await onSample(resolveJsonSample(j))
  } catch (e) {
    if (!(e instanceof PerfJsonError)) throw e
    counts.readError = e.message
  }
  const h = header.headers
  const meta: ProfileMeta = {
    hostname: h.hostname,
    osRelease: h['os-release'],
    arch: h.arch,
    cmdline: h.cmdline?.join(' '),
    events: [],
    lostSamples: 0,
  }
  return { meta, counts }
}

export function profileMeta(file: PerfFile, counts: PipelineCounts): ProfileMeta {
  return {
    hostname: file.hostname,
    osRelease: file.osRelease,
    arch: file.arch,
    cmdline: file.cmdline?.join(' '),
    events: file.attrs.map((a) => a.name),
    firstTime: file.sampleTime?.first,
    lastTime: file.sampleTime?.last,
    lostSamples: counts.lostSamples,
    wallClockOffsetNs: file.clockData ? Number(file.clockData.todNs - file.clockData.clockidNs) : undefined,
  }
}

export function hasSampleField(file: PerfFile, bit: number): boolean {
  return file.attrs.some((a) => (a.sampleType & bit) !== 0)
}

