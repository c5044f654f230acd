/**
 * Test support: make small recordings with the installed perf, read perf's own view of them,
 * and summarise what our reader yields, so tests compare like with like.
 */
import { execFileSync, execSync } from 'node:child_process'
import { existsSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { addrHex } from '../../common/addr.js'
import { openPerfData, type OpenOptions, type PerfDataReader } from '../reader.js'
import type { PerfRecord, SampleRecord } from '../types.js'

/** A shell loop that burns CPU for a few dozen milliseconds: enough samples at -F 999+. */
export const BUSY = "i=0; while [ $i -lt 100000 ]; do i=$((i+1)); done"

export function makeTempDir(): string {
  return mkdtempSync(join(tmpdir(), 'perf-orc-pd-'))
}

/** Run `perf record <args> -- sh -c BUSY` writing `out` (or stdout for pipe mode). */
export function record(dir: string, name: string, args: string[], pipe = false): string {
  const out = join(dir, name)
  const cmd = ['perf', 'record', ...args, '-o', pipe ? '-' : out, '--', 'sh', '-c', `'${BUSY}'`]
  execSync(`${cmd.join(' ')}${pipe ? ` > ${out}` : ''}`, { stdio: ['ignore', 'ignore', 'ignore'] })
  return out
}

/** The fixtures another engineer provides, when present. */
export function fixtureFiles(): string[] {
  const dir = new URL('../../../fixtures/', import.meta.url).pathname
  if (!existsSync(dir)) return []
  const out = execSync(`find ${dir} -maxdepth 3 -type f \\( -name '*.data' -o -name '*.perf' -o -name '*.pipe' \\)`).toString()
  return out.split('\n').filter(Boolean)
}

/** One line per sample as perf script prints it with our fields: "pid/tid time event ip period". */
export function perfScriptSamples(file: string): string[] {
  const text = execFileSync('perf', ['script', '--ns', '-G', '-F', 'pid,tid,time,event,ip,period', '-i', file], {
    maxBuffer: 1 << 28, stdio: ['ignore', 'pipe', 'ignore'],
  }).toString()
  const re = /^\s*(-?\d+)\/(-?\d+)\s+(\d+)\.(\d+):\s+(\d+)\s+(\S+):\s+([0-9a-f]+)/
  const lines: string[] = []
  for (const line of text.split('\n')) {
    const m = re.exec(line)
    if (!m) continue
    const time = BigInt(m[3]!) * 1_000_000_000n + BigInt(m[4]!)
    lines.push(`${m[1]}/${m[2]} ${time} ${m[6]} ${m[7]} ${m[5]}`)
  }
  return lines
}

export function sampleLine(r: PerfDataReader, s: SampleRecord): string {
  return `${s.pid}/${s.tid} ${s.time} ${r.file.eventName(s.attrIndex)} ${addrHex(s.ip ?? 0)} ${s.period}`
}

export interface ReadResult {
  reader: PerfDataReader
  records: PerfRecord[]
  samples: SampleRecord[]
  lines: string[]
}

export async function readAll(source: string | NodeJS.ReadableStream, opts?: OpenOptions): Promise<ReadResult> {
  const reader = await openPerfData(source, opts)
  const records: PerfRecord[] = []
  for await (const r of reader.records()) records.push(r)
  const samples = records.filter((r): r is SampleRecord => r.type === 9)
  return { reader, records, samples, lines: samples.map((s) => sampleLine(reader, s)) }
}

/** A stable digest of a record sequence (type, offset, time) for equivalence checks. */
export function digest(records: PerfRecord[]): string[] {
  return records.map((r) => {
    const t = r.type === 9 ? (r as SampleRecord).time : (r as { sampleId?: { time?: number } }).sampleId?.time
    return `${r.type}@${r.offset}:${t}`
  })
}
