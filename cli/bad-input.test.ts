/**
 * The CLI's bad-input policy, end to end on the built binary (dist/perf-orc.mjs):
 *   - bad input gets ONE clear stderr line ("perf-orc: what, where"), a non-zero exit, and every
 *     sample that could be salvaged before the fault is printed;
 *   - never a stack trace, a hang, a crash (exit 70 / a signal), or a memory blow-up driven by a
 *     length field from the file.
 * Sections: (1) ~40 deterministic mutants of each of four real recordings, (2) inputs that are not
 * recordings at all, (3) output errors, (4) missing / mismatched binaries, (5) early close of
 * stdout, (6) usage errors.
 *
 * Which samples "lie before the damage" is worked out here by an independent record walker (file
 * header, attrs, record framing, zstd via fzstd), not by the reader under test: each sample
 * record is keyed by "tid µs-time", which is what the header line of a perf-script block shows.
 */
import { spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process'
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Decompress } from 'fzstd'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ElfFile } from '../parsers/elf/elf-file.js'

const ROOT = join(import.meta.dirname, '..')
const SYMFS = join(ROOT, 'fixtures/symfs')
const REC = join(ROOT, 'fixtures/recordings')
/** Per-run wall-clock limit: a hang fails the test instead of blocking the suite. */
const RUN_TIMEOUT_S = 20
/** Peak RSS allowed for one run. A clean run of these recordings peaks at ~150-170 MB. */
const MAX_RSS_KB = 512 * 1024
/** GNU time, for peak RSS (%M). When it is missing the memory assertion is skipped (see run()). */
const TIME = existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined

const WORK = mkdtempSync(join(tmpdir(), 'perf-orc-bad-input-'))
/** Isolated HOME / cache: no ~/.debug build-id cache and no shared table cache leak in. */
const HOME = join(WORK, 'home')
mkdirSync(HOME, { recursive: true })

afterAll(() => rmSync(WORK, { recursive: true, force: true }))

/**
 * The built CLI. Others rebuild dist/ while this suite runs (several minutes), and a half-written
 * dist/ fails with module-link errors that are not ours to report; so the suite runs a snapshot of
 * dist/ taken at its start (same package.json, node_modules linked).
 */
const CLI = snapshotCli()

function snapshotCli(): string {
  const app = join(WORK, 'app')
  const main = join(app, 'dist/perf-orc.mjs')
  for (let attempt = 0; attempt < 5; attempt++) {
    rmSync(app, { recursive: true, force: true })
    mkdirSync(app, { recursive: true })
    cpSync(join(ROOT, 'dist'), join(app, 'dist'), { recursive: true })
    copyFileSync(join(ROOT, 'package.json'), join(app, 'package.json'))
    symlinkSync(join(ROOT, 'node_modules'), join(app, 'node_modules'))
    const probe = spawnSync(process.execPath, [main, 'script', '--help'], { encoding: 'utf8', timeout: 20_000 })
    if (probe.status === 0) return main
    spawnSync('sleep', ['3'])
  }
  return join(ROOT, 'dist/perf-orc.mjs')
}

// ---------------------------------------------------------------------------------------------
// Running the CLI
// ---------------------------------------------------------------------------------------------

interface Run {
  status: number | null
  signal: string | null
  stdout: string
  stderr: string
  /** Peak RSS in KB, when /usr/bin/time is available. */
  rssKb: number | undefined
  timedOut: boolean
  cmd: string
}

let runSeq = 0

function run(args: string[], opts: { input?: string | Buffer; cwd?: string } = {}): Run {
  const env = { ...process.env, HOME, XDG_CACHE_HOME: join(HOME, '.cache'), PERF_ORC_DEBUG: '' }
  delete (env as Record<string, string | undefined>)['PERF_ORC_DEBUG']
  const cmd = `node dist/perf-orc.mjs ${args.join(' ')}`
  const timeFile = join(WORK, `time.${process.pid}.${runSeq++}`)
  // `timeout -s KILL` kills node itself on a hang (killing /usr/bin/time would orphan it).
  const inner = ['timeout', '-s', 'KILL', String(RUN_TIMEOUT_S), process.execPath, CLI, ...args]
  const [exe, ...argv] = TIME ? [TIME, '-o', timeFile, '-f', '%M', ...inner] : inner
  const r: SpawnSyncReturns<string> = spawnSync(exe!, argv, {
    encoding: 'utf8',
    cwd: opts.cwd ?? ROOT,
    env,
    input: opts.input ?? '',
    maxBuffer: 1 << 28,
    timeout: (RUN_TIMEOUT_S + 10) * 1000,
    killSignal: 'SIGKILL',
  })
  let status = r.status
  let signal: string | null = r.signal
  let rssKb: number | undefined
  let timedOut = r.error !== undefined && (r.error as NodeJS.ErrnoException).code === 'ETIMEDOUT'
  if (status === 124 || status === 137) timedOut = true // timeout(1): 124, or KILLed child
  if (TIME && existsSync(timeFile)) {
    const text = readFileSync(timeFile, 'utf8')
    const sig = /terminated by signal (\d+)/.exec(text)
    if (sig) signal = `signal ${sig[1]}`
    const m = /(\d+)\s*$/.exec(text.trim())
    if (m) rssKb = Number(m[1])
    rmSync(timeFile, { force: true })
  }
  if (status !== null && status > 128 && status < 160 && !timedOut) signal ??= `signal ${status - 128}`
  return { status, signal, stdout: r.stdout ?? '', stderr: r.stderr ?? '', rssKb, timedOut, cmd }
}

function lines(s: string): string[] {
  return s.split('\n').filter((l) => l !== '')
}

/** No crash, no hang, no stack trace, bounded memory: what every run must satisfy. */
function expectSane(r: Run, what: string): void {
  const ctx = `${what}\n$ ${r.cmd}\nexit ${r.status} ${r.signal ?? ''}\nstderr:\n${r.stderr.slice(0, 2000)}`
  expect(r.timedOut, `hang: ${ctx}`).toBe(false)
  expect(r.signal, `killed by a signal: ${ctx}`).toBeNull()
  expect(r.status, `internal error (exit 70): ${ctx}`).not.toBe(70)
  expect(r.stderr, `internal error: ${ctx}`).not.toMatch(/internal error/)
  expect(lines(r.stderr).filter((l) => /^\s+at /.test(l)), `stack trace: ${ctx}`).toEqual([])
  expect(r.stderr, `node error dump: ${ctx}`).not.toMatch(/^(Error|TypeError|RangeError):|node:internal|FATAL ERROR|Allocation failed/m)
  // Skipped without /usr/bin/time: peak RSS cannot be measured portably from here.
  if (TIME && r.rssKb !== undefined) expect(r.rssKb, `peak RSS ${r.rssKb} KB: ${ctx}`).toBeLessThan(MAX_RSS_KB)
}

/** Exactly one stderr line, "perf-orc: …", and a non-zero exit (not 70). */
function expectOneLineError(r: Run, what: string, pattern?: RegExp): void {
  expectSane(r, what)
  const ctx = `${what}\n$ ${r.cmd}\nexit ${r.status}\nstderr:\n${r.stderr}`
  expect(r.status, ctx).not.toBe(0)
  expect(lines(r.stderr), ctx).toHaveLength(1)
  expect(r.stderr, ctx).toMatch(/^perf-orc: /)
  if (pattern) expect(r.stderr, ctx).toMatch(pattern)
}

// ---------------------------------------------------------------------------------------------
// An independent walker over the recordings: record offsets, sample keys, sample field offsets
// ---------------------------------------------------------------------------------------------

const T = { SAMPLE: 9, HEADER_ATTR: 64, HEADER_FEATURE: 80, COMPRESSED: 81, COMPRESSED2: 83 }
const S = {
  IDENTIFIER: 1 << 16, IP: 1 << 0, TID: 1 << 1, TIME: 1 << 2, ADDR: 1 << 3, READ: 1 << 4,
  CALLCHAIN: 1 << 5, ID: 1 << 6, CPU: 1 << 7, PERIOD: 1 << 8, STREAM_ID: 1 << 9, RAW: 1 << 10,
  BRANCH_STACK: 1 << 11, REGS_USER: 1 << 12, STACK_USER: 1 << 13,
}

interface Rec {
  /** File offset of the record (for zstd inner records: of the COMPRESSED record that completes it). */
  offset: number
  type: number
  size: number
}

interface SampleInfo {
  /** "tid µs" as in the perf-script header line. */
  key: string
  /** File offset from which on the sample is complete in the file (its end, or the end of the
   * COMPRESSED record whose decompressed output completes it). */
  availableAt: number
  /** File offsets of fields (only for samples stored uncompressed). */
  offset: number
  callchainNrAt?: number
  stackSizeAt?: number
}

interface Layout {
  name: string
  bytes: Uint8Array
  pipe: boolean
  dataStart: number
  dataEnd: number
  attrsOffset: number
  attrSize: number
  featBits: number[]
  records: Rec[]
  samples: SampleInfo[]
}

function u64(v: DataView, p: number): number {
  return v.getUint32(p + 4, true) * 4294967296 + v.getUint32(p, true)
}

function popcount64(x: bigint): number {
  let n = 0
  while (x) {
    n += Number(x & 1n)
    x >>= 1n
  }
  return n
}

interface AttrLite {
  sampleType: number
  regsUser: number
}

function attrLite(v: DataView, p: number): AttrLite {
  const size = v.getUint32(p + 4, true)
  return { sampleType: v.getUint32(p + 24, true), regsUser: size >= 88 ? popcount64(v.getBigUint64(p + 80, true)) : 0 }
}

/** Sample key and field offsets (assumes one attr layout, true for these four recordings). */
function sampleInfo(v: DataView, pos: number, fileOff: number, a: AttrLite): Omit<SampleInfo, 'availableAt'> {
  const st = a.sampleType
  let p = pos + 8
  let tid = -1
  let time = 0n
  if (st & S.IDENTIFIER) p += 8
  if (st & S.IP) p += 8
  if (st & S.TID) {
    tid = v.getInt32(p + 4, true)
    p += 8
  }
  if (st & S.TIME) {
    time = v.getBigUint64(p, true)
    p += 8
  }
  for (const bit of [S.ADDR, S.ID, S.STREAM_ID, S.CPU, S.PERIOD]) if (st & bit) p += 8
  const out: Omit<SampleInfo, 'availableAt'> = { key: `${tid} ${time / 1000n}`, offset: fileOff }
  if (st & S.READ) return out // not in these recordings; field offsets unknown from here on
  if (st & S.CALLCHAIN) {
    out.callchainNrAt = fileOff + (p - pos)
    p += 8 + u64(v, p) * 8
  }
  if (st & (S.RAW | S.BRANCH_STACK)) return out
  if (st & S.REGS_USER) {
    const abi = u64(v, p)
    p += 8 + (abi ? a.regsUser * 8 : 0)
  }
  if (st & S.STACK_USER) out.stackSizeAt = fileOff + (p - pos)
  return out
}

function walk(name: string): Layout {
  const bytes = new Uint8Array(readFileSync(join(REC, name)))
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const headerSize = u64(v, 8)
  const pipe = headerSize === 16
  const L: Layout = {
    name, bytes, pipe, dataStart: 16, dataEnd: bytes.length, attrsOffset: 0, attrSize: 0, featBits: [], records: [], samples: [],
  }
  let attr: AttrLite | undefined
  if (!pipe) {
    L.attrSize = u64(v, 16)
    L.attrsOffset = u64(v, 24)
    L.dataStart = u64(v, 40)
    L.dataEnd = L.dataStart + u64(v, 48)
    for (let bit = 0; bit < 256; bit++) if (v.getUint8(72 + (bit >> 3)) & (1 << (bit & 7))) L.featBits.push(bit)
    attr = attrLite(v, L.attrsOffset)
  }
  // zstd: all COMPRESSED payloads continue one stream; remember how much output each one completes.
  const inner: Uint8Array[] = []
  let innerLen = 0
  const completes: { innerEnd: number; fileEnd: number }[] = []
  const zstd = new Decompress((chunk) => {
    inner.push(chunk)
    innerLen += chunk.length
  })
  for (let p = L.dataStart; p + 8 <= L.dataEnd; ) {
    const type = v.getUint32(p, true)
    const size = v.getUint16(p + 6, true)
    if (size < 8) throw new Error(`${name}: bad record at ${p}`)
    L.records.push({ offset: p, type, size })
    if (type === T.HEADER_ATTR && !attr) attr = attrLite(v, p + 8)
    if (type === T.SAMPLE && attr) L.samples.push({ ...sampleInfo(v, p, p, attr), availableAt: p + size })
    if (type === T.COMPRESSED || type === T.COMPRESSED2) {
      const start = type === T.COMPRESSED2 ? p + 16 : p + 8
      const end = type === T.COMPRESSED2 ? start + u64(v, p + 8) : p + size
      zstd.push(bytes.slice(start, end))
      completes.push({ innerEnd: innerLen, fileEnd: p + size })
    }
    p += size
  }
  if (innerLen > 0) {
    const ib = new Uint8Array(innerLen)
    let o = 0
    for (const c of inner) {
      ib.set(c, o)
      o += c.length
    }
    const iv = new DataView(ib.buffer)
    for (let p = 0; p + 8 <= ib.length; ) {
      const type = iv.getUint32(p, true)
      const size = iv.getUint16(p + 6, true)
      if (size < 8) throw new Error(`${name}: bad inner record at ${p}`)
      if (type === T.SAMPLE && attr) {
        const done = completes.find((c) => c.innerEnd >= p + size)
        const s = sampleInfo(iv, p, -1, attr)
        L.samples.push({ key: s.key, offset: -1, availableAt: done ? done.fileEnd : Infinity })
      }
      p += size
    }
  }
  return L
}

// ---------------------------------------------------------------------------------------------
// perf-script text: blocks and normalization
// ---------------------------------------------------------------------------------------------

interface Block {
  key: string
  /** Header line without the event name / its padding (EVENT_DESC is lost when a file is cut). */
  head: string
  /** The whole block normalized: head + frames, kernel frames reduced to their address. */
  text: string
}

const HEAD = /^(.*?)\s+(-?\d+)\s+(\d+)\.(\d{6}):\s+(?:(\d+)\s+)?(\S+):\s*(.*)$/

function blocks(stdout: string): Block[] {
  const out: Block[] = []
  for (const b of stdout.split('\n\n')) {
    if (b.trim() === '') continue
    const [first, ...frames] = b.split('\n').filter((l) => l !== '')
    const m = HEAD.exec(first!)
    const key = m ? `${m[2]} ${BigInt(m[3]!) * 1_000_000n + BigInt(m[4]!)}` : `?${first}`
    const head = m ? `${m[1]} ${m[2]} ${m[3]}.${m[4]} ${m[5] ?? ''}` : first!
    // Kernel symbols come from /proc/kallsyms only when the HOSTNAME/OSRELEASE features say the
    // recording is from this machine; a cut file loses them, so compare kernel frames by address.
    const fr = frames.map((l) => (/^\s*ffffffff[0-9a-f]+\s/.test(l) ? l.trim().split(/\s+/)[0]! : l.trim()))
    out.push({ key, head, text: [head, ...fr].join('\n') })
  }
  return out
}

// ---------------------------------------------------------------------------------------------
// Mutants
// ---------------------------------------------------------------------------------------------

type Kind = 'truncate' | 'data' | 'meta' | 'feature'

interface Mutant {
  name: string
  kind: Kind
  bytes: Uint8Array
  /** First damaged file offset: samples complete before it must be printed. */
  damageAt: number
}

/** Deterministic pseudo-random numbers (xorshift32), so every failure reproduces. */
function rng(seed: number): () => number {
  let x = seed
  return () => {
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    return (x >>> 0) / 4294967296
  }
}

function buildMutants(L: Layout, seed: number): Mutant[] {
  const { bytes: orig, records: recs, dataStart, dataEnd } = L
  const n = orig.length
  const rand = rng(seed)
  const out: Mutant[] = []
  const edit = (name: string, kind: Kind, damageAt: number, f: (b: Uint8Array, v: DataView) => void): void => {
    const b = new Uint8Array(orig)
    f(b, new DataView(b.buffer))
    out.push({ name, kind, bytes: b, damageAt })
  }
  const cuts = new Set<number>()
  const cut = (c: number, why: string): void => {
    if (cuts.has(c)) return
    cuts.add(c)
    out.push({ name: `truncate@${c} (${why})`, kind: 'truncate', bytes: orig.slice(0, c), damageAt: c })
  }
  const pick = (frac: number): Rec => recs[Math.min(recs.length - 1, Math.floor(recs.length * frac))]!
  const pickType = (type: number, frac: number): Rec | undefined => {
    const of = recs.filter((r) => r.type === type)
    return of.length ? of[Math.min(of.length - 1, Math.floor(of.length * frac))] : undefined
  }

  // 1. Truncation: header, attrs, first records, mid-record all over the data, boundaries, features.
  cut(8, 'inside the magic prefix')
  cut(15, 'inside the size field')
  if (!L.pipe) {
    cut(50, 'inside the file header')
    cut(103, 'last header byte missing')
    cut(L.attrsOffset + 20, 'inside the attrs')
    cut(dataStart - 1, 'just before the data')
    cut(dataStart, 'at the data start')
  } else {
    cut(20, 'inside the first record header')
    cut(16 + Math.floor(recs[0]!.size / 2), 'inside the HEADER_ATTR record')
  }
  cut(dataStart + 4, 'inside the first record header')
  for (const f of [0.1, 0.25, 0.4, 0.55, 0.7, 0.85, 0.97]) {
    const r = pick(f)
    cut(r.offset + Math.max(1, Math.floor(r.size / 2)), `mid-record, type ${r.type}`)
  }
  cut(pick(0.5).offset, 'at a record boundary')
  cut(pick(0.9).offset + 3, 'inside a record header')
  if (!L.pipe) {
    cut(dataEnd, 'features cut off')
    cut(dataEnd + 20, 'inside the feature table')
    cut(n - 7, 'inside the last feature')
  }

  // 2. Record headers: flip bytes; size set to 0, 4, 0xffff, 0xfff8.
  for (const f of [0.2, 0.5, 0.8]) {
    const r = pick(f)
    edit(`flip type@${r.offset}`, 'data', r.offset, (b) => void (b[r.offset] = b[r.offset]! ^ 0xff))
    edit(`flip misc@${r.offset + 4}`, 'data', r.offset, (b) => void (b[r.offset + 4] = b[r.offset + 4]! ^ 0xa5))
    edit(`flip size-hi@${r.offset + 7}`, 'data', r.offset, (b) => void (b[r.offset + 7] = b[r.offset + 7]! ^ 0x40))
  }
  for (const f of [0.3, 0.75]) {
    const r = pick(f)
    for (const size of [0, 4, 0xffff, 0xfff8]) {
      edit(`size=${size}@${r.offset} (type ${r.type})`, 'data', r.offset, (_, v) => v.setUint16(r.offset + 6, size, true))
    }
  }

  // 3. Sample bodies: flip bytes; absurd length fields (callchain nr, stack size).
  const plain = L.samples.filter((s) => s.offset >= 0)
  if (plain.length) {
    for (let i = 0; i < 5; i++) {
      const s = plain[Math.floor(rand() * plain.length)]!
      const r = recs.find((x) => x.offset === s.offset)!
      const at = s.offset + 8 + Math.floor(rand() * (r.size - 8))
      edit(`flip sample body@${at}`, 'data', s.offset, (b) => void (b[at] = b[at]! ^ (1 + Math.floor(rand() * 255))))
    }
    const s = plain[Math.floor(plain.length / 3)]!
    if (s.callchainNrAt !== undefined) {
      const at = s.callchainNrAt
      edit(`callchain nr=2^40@${at}`, 'data', s.offset, (_, v) => v.setBigUint64(at, 1n << 40n, true))
      edit(`callchain nr=0xffffffff@${at}`, 'data', s.offset, (_, v) => v.setBigUint64(at, 0xffffffffn, true))
    }
    if (s.stackSizeAt !== undefined) {
      const at = s.stackSizeAt
      edit(`stack size=2^40@${at}`, 'data', s.offset, (_, v) => v.setBigUint64(at, 1n << 40n, true))
      edit(`stack size=2^62@${at}`, 'data', s.offset, (_, v) => v.setBigUint64(at, 1n << 62n, true))
    }
  } else {
    // zstd: the samples are inside COMPRESSED records; damage the compressed bytes instead.
    for (const f of [0.2, 0.5, 0.8]) {
      const r = pickType(T.COMPRESSED, f) ?? pickType(T.COMPRESSED2, f)
      if (!r) continue
      const at = r.offset + 8 + Math.floor(r.size / 2)
      edit(`flip zstd payload@${at}`, 'data', r.offset, (b) => void (b[at] = b[at]! ^ 0x5a))
      edit(`zero zstd payload@${at}`, 'data', r.offset, (b) => b.fill(0, at, Math.min(at + 64, r.offset + r.size)))
    }
  }

  // 4. Metadata: header fields, attr section, ids section, feature table (file) / user records (pipe).
  if (!L.pipe) {
    const a = L.attrsOffset
    const attrLen = new DataView(orig.buffer, orig.byteOffset).getUint32(a + 4, true)
    edit('attr_size=0xffffffff', 'meta', 0, (_, v) => v.setBigUint64(16, 0xffffffffn, true))
    edit('attr_size=1<<40', 'meta', 0, (_, v) => v.setBigUint64(16, 1n << 40n, true))
    edit('attrs.size=1<<50', 'meta', 0, (_, v) => v.setBigUint64(32, 1n << 50n, true))
    edit('attr.size=5000', 'meta', 0, (_, v) => v.setUint32(a + 4, 5000, true))
    edit('ids.offset=1<<40', 'meta', 0, (_, v) => v.setBigUint64(a + attrLen, 1n << 40n, true))
    edit('ids.size=1<<52', 'meta', 0, (_, v) => v.setBigUint64(a + attrLen + 8, 1n << 52n, true))
    edit('data.size=1<<45', 'meta', 0, (_, v) => v.setBigUint64(48, 1n << 45n, true))
    // Feature table: one perf_file_section per set bit, right after the data.
    const nf = L.featBits.length
    if (nf > 0) {
      edit('feature[0].offset=1<<50', 'feature', Infinity, (_, v) => v.setBigUint64(dataEnd, 1n << 50n, true))
      edit('feature[1].size=1<<40', 'feature', Infinity, (_, v) => v.setBigUint64(dataEnd + 16 + 8, 1n << 40n, true))
      edit(`feature[${nf - 1}].offset=0`, 'feature', Infinity, (_, v) => v.setBigUint64(dataEnd + (nf - 1) * 16, 0n, true))
      edit('every feature bit set', 'feature', Infinity, (b) => b.fill(0xff, 72, 104))
      edit('feature sections zeroed', 'feature', Infinity, (b) => b.fill(0, dataEnd + nf * 16, n))
    }
  } else {
    const attrRec = recs.find((r) => r.type === T.HEADER_ATTR)!
    edit('HEADER_ATTR attr.size=5000', 'meta', 0, (_, v) => v.setUint32(attrRec.offset + 8 + 4, 5000, true))
    edit('HEADER_ATTR size=16', 'meta', 0, (_, v) => v.setUint16(attrRec.offset + 6, 16, true))
    const feats = recs.filter((r) => r.type === T.HEADER_FEATURE)
    for (const [i, f] of [feats[0], feats[Math.floor(feats.length / 2)], feats[feats.length - 2]].entries()) {
      if (!f) continue
      // Feature id 12 (EVENT_DESC) with whatever body this record has: counts that make no sense.
      edit(`HEADER_FEATURE#${i} id=EVENT_DESC@${f.offset}`, 'feature', Infinity, (_, v) => v.setBigUint64(f.offset + 8, 12n, true))
      edit(`HEADER_FEATURE#${i} body=0xff@${f.offset}`, 'feature', Infinity, (b) => b.fill(0xff, f.offset + 16, f.offset + f.size))
    }
  }
  return out
}

// ---------------------------------------------------------------------------------------------
// 1. Mutation over real recordings
// ---------------------------------------------------------------------------------------------

const RECORDINGS = ['dwarf.data', 'fp.data', 'pipe.data', 'zstd.data']

describe.each(RECORDINGS.map((r, i) => [r, i] as const))('mutants of %s', (recName, seedIndex) => {
  const layout = walk(recName)
  const mutants = buildMutants(layout, 1000 + seedIndex * 77)
  let full: Block[] = []
  const byKey = new Map<string, Block>()

  beforeAll(() => {
    const r = run(['script', join(REC, recName), '--symfs', SYMFS])
    expect(r.status, r.stderr).toBe(0)
    expect(r.stderr).toBe('')
    full = blocks(r.stdout)
    for (const b of full) byKey.set(b.key, b)
    // The walker and the CLI must agree on what the samples are, or the checks below mean nothing.
    expect(full.length).toBe(layout.samples.length)
    expect(new Set(full.map((b) => b.key))).toEqual(new Set(layout.samples.map((s) => s.key)))
  })

  it('has about 40 mutants', () => {
    expect(mutants.length).toBeGreaterThanOrEqual(35)
  })

  it.each(mutants.map((m) => [m.name, m] as const))('%s', (_name, m) => {
    const path = join(WORK, `${recName}.${m.name.replace(/[^\w@=.-]+/g, '_')}`)
    writeFileSync(path, m.bytes)
    const r = run(['script', path, '--symfs', SYMFS])
    rmSync(path, { force: true })
    const what = `${recName} mutant ${m.name}`
    expectSane(r, what)
    const ctx = `${what}\n$ ${r.cmd}\nexit ${r.status}\nstderr:\n${r.stderr}`
    expect([0, 1, 2], ctx).toContain(r.status)
    const err = lines(r.stderr)
    expect(err.length, `too many stderr lines: ${ctx}`).toBeLessThanOrEqual(4)
    if (r.status !== 0) {
      const last = err[err.length - 1] ?? ''
      expect(last, ctx).toMatch(/^perf-orc: /)
      // A fault in the header (exit 1) or mid-stream (exit 2) is reported with the file name and the offset.
      expect(last.startsWith(`perf-orc: ${path}: `) && /at offset 0x[0-9a-f]+$/.test(last), `error names no file / offset: ${ctx}`).toBe(true)
    }
    // Salvage: every sample complete in the file before the first damaged byte is printed.
    const got = blocks(r.stdout)
    const gotByKey = new Map(got.map((b) => [b.key, b]))
    const due = layout.samples.filter((s) => s.availableAt <= m.damageAt).map((s) => s.key)
    const missing = due.filter((k) => !gotByKey.has(k))
    expect(missing.length === 0 ? '' : `${missing.length} of ${due.length} samples before the damage are missing (first: ${missing[0]}); printed ${got.length}`, ctx).toBe('')
    for (const k of due) expect(gotByKey.get(k)!.head, `${ctx}\nsample ${k}`).toBe(byKey.get(k)!.head)
    if (m.kind === 'truncate') {
      // Nothing invented or changed: every printed block is the full run's block for that sample.
      const changed = got.find((b) => b.text !== byKey.get(b.key)?.text)
      expect(changed ? `block differs:\n${changed.text}\n--- full run:\n${byKey.get(changed.key)?.text ?? '(no such sample)'}` : '', ctx).toBe('')
      // And in the full run's order. Not a strict prefix of it: samples are released by perf's
      // FINISHED_ROUND rule, so a later round may hold samples older than ones still queued at
      // the cut, which the full run prints first (seen on pipe.data). A subsequence it must be.
      let j = 0
      for (const b of got) {
        while (j < full.length && full[j]!.key !== b.key) j++
        expect(j < full.length, `${ctx}\nsample ${b.key} out of the full run's order`).toBe(true)
        j++
      }
      // Cut inside the data section after samples: a read fault (exit 2) after those samples, not
      // a refusal (exit 1) and not a clean end. (A cut before any sample may fail with exit 1.)
      // Pipe streams have no declared length: a cut at a record boundary there looks like EOF.
      const midRecord = !layout.records.some((x) => x.offset === m.damageAt)
      if (due.length > 0 && m.damageAt < layout.dataEnd && (!layout.pipe || midRecord)) {
        expect(r.status, `cut inside the data section should be a read fault after the salvaged samples: ${ctx}`).toBe(2)
      }
    }
    if (m.kind === 'feature') {
      // A damaged feature section is a warning at most: all samples come out.
      const lost = full.filter((b) => !gotByKey.has(b.key))
      expect(lost.length === 0 ? '' : `${lost.length} of ${full.length} samples lost to feature damage`, ctx).toBe('')
    }
  })
})

// ---------------------------------------------------------------------------------------------
// 2. Not a recording at all
// ---------------------------------------------------------------------------------------------

describe('inputs that are not recordings', () => {
  it('wrong magic', () => {
    const b = new Uint8Array(readFileSync(join(REC, 'fp.data')))
    b.set(new TextEncoder().encode('PERFILE3'), 0)
    const p = join(WORK, 'wrong-magic.data')
    writeFileSync(p, b)
    expectOneLineError(run(['script', p]), 'wrong magic', /magic/)
  })

  it('big-endian magic', () => {
    const b = new Uint8Array(readFileSync(join(REC, 'fp.data')))
    b.set(new TextEncoder().encode('2ELIFREP'), 0)
    const p = join(WORK, 'be-magic.data')
    writeFileSync(p, b)
    expectOneLineError(run(['script', p]), 'big-endian magic', /big-endian/)
  })

  it('an attr whose ids section lies beyond 2^53 or past the end: the file and the field, in both commands', () => {
    const b = new Uint8Array(readFileSync(join(REC, 'fp.data')))
    const v = new DataView(b.buffer)
    const attrs = Number(v.getBigUint64(24, true))
    const idsAt = attrs + v.getUint32(attrs + 4, true) // perf_file_attr: attr, then its ids section
    for (const [name, offset, shown] of [['huge', 0xffffffffffffffffn, '≥2^53'], ['far', 0x10000000n, '0x10000000']] as const) {
      v.setBigUint64(idsAt, offset, true)
      const p = join(WORK, `ids-${name}.data`)
      writeFileSync(p, b)
      const expected = `perf-orc: ${p}: ids section [${shown}, +0x10) of attr 0 is outside the file at offset 0x${idsAt.toString(16)}\n`
      for (const cmd of ['script', 'header']) {
        const r = run([cmd, p])
        expectOneLineError(r, `${cmd}, ids ${name}`)
        expect(r.stderr).toBe(expected)
      }
    }
  })

  it('empty file', () => {
    const p = join(WORK, 'empty.data')
    writeFileSync(p, '')
    expectOneLineError(run(['script', p]), 'empty file', /offset 0x0|empty|16-byte/)
  })

  it('a directory', () => {
    const d = join(WORK, 'a-directory')
    mkdirSync(d, { recursive: true })
    expectOneLineError(run(['script', d]), 'directory', /a-directory|directory/i)
  })

  it('a missing file', () => {
    const p = join(WORK, 'does-not-exist.data')
    expectOneLineError(run(['script', p]), 'missing file', /does-not-exist\.data/)
  })

  it('header of a missing file', () => {
    expectOneLineError(run(['header', join(WORK, 'nope.data')]), 'header, missing file', /nope\.data/)
  })

  it('zero-length pipe on stdin: script -', () => {
    expectOneLineError(run(['script', '-'], { input: '' }), 'script - with empty stdin')
  })

  it('zero-length pipe on stdin: script -i -', () => {
    expectOneLineError(run(['script', '-i', '-'], { input: '' }), 'script -i - with empty stdin')
  })

  it('a whole pipe recording on stdin via "script -" works', () => {
    const r = run(['script', '-', '--symfs', SYMFS], { input: readFileSync(join(REC, 'pipe.data')) })
    expectSane(r, 'script - < pipe.data')
    expect(r.status, r.stderr).toBe(0)
    expect(blocks(r.stdout).length).toBe(walk('pipe.data').samples.length)
  })

  it('random bytes', () => {
    const rand = rng(4242)
    const b = new Uint8Array(8192).map(() => Math.floor(rand() * 256))
    const p = join(WORK, 'random.data')
    writeFileSync(p, b)
    expectOneLineError(run(['script', p]), 'random bytes', /offset 0x/)
  })

  it('random bytes after a valid magic (file and pipe header sizes)', () => {
    for (const size of [104n, 16n]) {
      const rand = rng(99 + Number(size))
      const b = new Uint8Array(8192).map(() => Math.floor(rand() * 256))
      b.set(new TextEncoder().encode('PERFILE2'), 0)
      new DataView(b.buffer).setBigUint64(8, size, true)
      const p = join(WORK, `random-${size}.data`)
      writeFileSync(p, b)
      const r = run(['script', p])
      expectSane(r, `random bytes after PERFILE2/${size}`)
      expect(r.status, r.stderr).not.toBe(0)
      expect(lines(r.stderr).at(-1) ?? '', r.stderr).toMatch(/^perf-orc: .*offset 0x/)
    }
  })
})

// ---------------------------------------------------------------------------------------------
// 3. Output errors and empty recordings
// ---------------------------------------------------------------------------------------------

/** A valid file-layout recording with no samples: header, attrs, the records before the first
 * sample (COMM, MMAP, ...), no feature sections. */
function emptyRecording(): string {
  const L = walk('fp.data')
  const firstSample = L.records.find((r) => r.type === T.SAMPLE)!
  const b = new Uint8Array(L.bytes.slice(0, firstSample.offset))
  const v = new DataView(b.buffer)
  v.setBigUint64(48, BigInt(firstSample.offset - L.dataStart), true)
  b.fill(0, 72, 104) // no features: the table would be past the end
  const p = join(WORK, 'no-samples.data')
  writeFileSync(p, b)
  return p
}

describe('output errors', () => {
  const fp = join(REC, 'fp.data')

  it('report -o into a missing directory: one line, before any processing', () => {
    // A FIFO nobody writes to: opening it blocks forever, so only a check made before the input
    // is opened can end this run (fail fast).
    const fifo = join(WORK, 'never.fifo')
    if (!existsSync(fifo)) spawnSync('mkfifo', [fifo])
    const r = run(['report', fifo, '-o', '/nonexistent/dir/x.html'])
    expectOneLineError(r, 'report -o /nonexistent/dir/x.html', /^perf-orc: cannot write .*\/nonexistent\/dir\/x\.html/)
  })

  it('report -o with an unknown extension names the accepted ones', () => {
    const r = run(['report', fp, '-o', join(WORK, 'x.unknownext')])
    expectOneLineError(r, 'report -o x.unknownext', /\.html.*\.folded|\.folded.*\.html/)
    expect(r.stderr).toMatch(/\.speedscope\.json/)
    expect(r.stderr).toMatch(/\.pb\.gz/)
  })

  it('report --format bogus', () => {
    expectOneLineError(run(['report', fp, '--format', 'bogus']), 'report --format bogus', /bogus/)
  })

  it('report of a recording with no samples says so', () => {
    const p = emptyRecording()
    // script prints nothing and succeeds, like perf script.
    const s = run(['script', p])
    expectSane(s, 'script of a sample-less recording')
    expect(s.stdout).toBe('')
    expectOneLineError(run(['report', p]), 'report of a sample-less recording', /no samples/)
  })

  it('report of a recording with no samples to a file does not leave a half-written file behind silently', () => {
    const p = emptyRecording()
    const out = join(WORK, 'empty-report.html')
    expectOneLineError(run(['report', p, '-o', out]), 'report -o html of a sample-less recording', /no samples/)
  })
})

// ---------------------------------------------------------------------------------------------
// 4. Binaries: missing, mismatched
// ---------------------------------------------------------------------------------------------

describe('binaries', () => {
  it('missing binaries: one warning per binary, exit 0, frames [unknown]', () => {
    const empty = join(WORK, 'empty-symfs')
    mkdirSync(empty, { recursive: true })
    const r = run(['script', join(REC, 'fp.data'), '--symfs', empty])
    expectSane(r, 'script --symfs EMPTY')
    expect(r.status, r.stderr).toBe(0)
    const warnings = lines(r.stderr)
    for (const l of warnings) expect(l).toMatch(/^perf-orc: warning: /)
    const named = warnings.map((l) => /warning: (\S+): binary not found/.exec(l)?.[1]).filter(Boolean)
    expect(named.length, r.stderr).toBeGreaterThan(0)
    expect(new Set(named).size, `a binary warned about more than once:\n${r.stderr}`).toBe(named.length)
    // Every binary the samples hit gets exactly its warning.
    for (const bin of ['/tmp/orc-fixtures/bin/fpdemo', '/tmp/orc-fixtures/lib/libfpwork.so', '/usr/lib/x86_64-linux-gnu/libc.so.6']) {
      expect(named, r.stderr).toContain(bin)
    }
    expect(warnings.length, 'far more warnings than binaries: per-sample warnings?').toBeLessThanOrEqual(8)
    const b = blocks(r.stdout)
    expect(b.length).toBe(walk('fp.data').samples.length)
    expect(r.stdout).toMatch(/\[unknown\] \(\/tmp\/orc-fixtures\/bin\/fpdemo\)/)
    expect(r.stdout).not.toMatch(/\b(checksum|worker|main|fp_hash|cmp_int)\+0x/)
  })

  it('a binary with one section past its end: one warning, the rest of it still unwinds and names; orc dump refuses it', () => {
    const symfs = join(WORK, 'damaged-section-symfs')
    cpSync(SYMFS, symfs, { recursive: true })
    const lib = join(symfs, 'tmp/orc-fixtures/lib/libnofpwork.so')
    const b = new Uint8Array(readFileSync(lib))
    const v = new DataView(b.buffer)
    const shoff = Number(v.getBigUint64(40, true))
    const symtab = ElfFile.parse(b).section('.symtab')!
    v.setBigUint64(shoff + symtab.index * 64 + 32, 0x7fffffffn, true) // sh_size: far past the end
    writeFileSync(lib, b)
    const good = run(['script', join(REC, 'dwarf.data'), '--symfs', SYMFS, '--no-cache'])
    const r = run(['script', join(REC, 'dwarf.data'), '--symfs', symfs, '--no-cache'])
    expectSane(r, 'script with a damaged .symtab header in libnofpwork.so')
    expect(r.status, r.stderr).toBe(0)
    expect(lines(r.stderr)).toEqual([`perf-orc: warning: ${lib}: section ${symtab.index} (.symtab) runs past the end of the file; read as empty`])
    // Its .eh_frame still unwinds every sample exactly as before: the same frames, address for address.
    const addrs = (out: string) => out.split('\n').filter((l) => l.startsWith('\t')).map((l) => l.trim().split(' ')[0])
    expect(addrs(r.stdout)).toEqual(addrs(good.stdout))
    // And its exported functions are still named, from .dynsym.
    expect(r.stdout).toMatch(/\S+\+0x[0-9a-f]+ \(\/tmp\/orc-fixtures\/lib\/libnofpwork\.so\)/)
    const dump = run(['orc', 'dump', lib])
    expectOneLineError(dump, 'orc dump of a damaged binary', new RegExp(`section ${symtab.index} \\(\\.symtab\\) runs past the end of the file at offset 0x`))
    rmSync(symfs, { recursive: true, force: true })
  })

  it('mismatched binary: one build-id warning, its symbols not used', () => {
    const symfs = join(WORK, 'mismatch-symfs')
    cpSync(SYMFS, symfs, { recursive: true })
    const lib = join(symfs, 'tmp/orc-fixtures/lib/libfpwork.so')
    rmSync(lib, { force: true })
    copyFileSync('/bin/true', lib)
    const r = run(['script', join(REC, 'fp.data'), '--symfs', symfs])
    expectSane(r, 'script with libfpwork.so replaced by /bin/true')
    expect(r.status, r.stderr).toBe(0)
    const warnings = lines(r.stderr)
    expect(warnings.length, r.stderr).toBe(1)
    expect(warnings[0]).toMatch(/^perf-orc: warning: .*libfpwork\.so.*build-id/)
    expect(warnings[0]).toMatch(/does not match|mismatch/)
    // libfpwork.so frames are unsymbolized; other binaries still resolve.
    expect(r.stdout).toMatch(/\[unknown\] \(\/tmp\/orc-fixtures\/lib\/libfpwork\.so\)/)
    expect(r.stdout).not.toMatch(/\S+\+0x[0-9a-f]+ \(\/tmp\/orc-fixtures\/lib\/libfpwork\.so\)/)
    expect(r.stdout).toMatch(/checksum\+0x[0-9a-f]+ \(\/tmp\/orc-fixtures\/bin\/fpdemo\)/)
    rmSync(symfs, { recursive: true, force: true })
  })
})

// ---------------------------------------------------------------------------------------------
// 5. Early close of stdout
// ---------------------------------------------------------------------------------------------

describe('stdout closed early', () => {
  it('destroying the pipe after the first chunk ends the run quietly', async () => {
    const child = spawn(process.execPath, [CLI, 'script', join(REC, 'dwarf.data'), '--symfs', SYMFS], {
      cwd: ROOT,
      env: { ...process.env, HOME, XDG_CACHE_HOME: join(HOME, '.cache') },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stderr = ''
    let firstChunk = false
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    child.stdout.once('data', () => {
      firstChunk = true
      child.stdout.destroy()
    })
    const timer = setTimeout(() => child.kill('SIGKILL'), RUN_TIMEOUT_S * 1000)
    const [code, signal] = await new Promise<[number | null, string | null]>((resolve) => child.on('close', (c, s) => resolve([c, s])))
    clearTimeout(timer)
    expect(firstChunk).toBe(true)
    expect(signal, `killed (hang after EPIPE?) stderr:\n${stderr}`).toBeNull()
    expect(stderr, 'EPIPE must be quiet').toBe('')
    expect(code).toBe(0)
  })

  it('perf-orc script | head -1', () => {
    const r = spawnSync('sh', ['-c', `"${process.execPath}" "${CLI}" script "${join(REC, 'dwarf.data')}" --symfs "${SYMFS}" | head -1`], {
      encoding: 'utf8',
      cwd: ROOT,
      env: { ...process.env, HOME, XDG_CACHE_HOME: join(HOME, '.cache') },
      timeout: RUN_TIMEOUT_S * 1000,
      killSignal: 'SIGKILL',
    })
    expect(r.error, 'hang').toBeUndefined()
    expect(r.stdout.split('\n')[0]).toMatch(/^nofpdemo\s+\d+\s+\d+\.\d{6}:/)
    expect(r.stderr, 'EPIPE must be quiet').toBe('')
  })
})

// ---------------------------------------------------------------------------------------------
// 6. Usage errors
// ---------------------------------------------------------------------------------------------

describe('usage errors', () => {
  /** One "perf-orc: …" line naming the problem and exit 64; perf-orc adds a "(see perf-orc --help)" hint line. */
  function expectUsage(r: Run, what: string, pattern: RegExp): void {
    expectSane(r, what)
    const ctx = `${what}\n$ ${r.cmd}\nexit ${r.status}\nstderr:\n${r.stderr}`
    expect(r.status, ctx).toBe(64)
    const err = lines(r.stderr)
    expect(err.filter((l) => l.startsWith('perf-orc: ')), ctx).toHaveLength(1)
    expect(err[0], ctx).toMatch(pattern)
    expect(err.slice(1).every((l) => /^\(see perf-orc --help\)$/.test(l)), ctx).toBe(true)
    expect(r.stdout, ctx).toBe('')
  }

  it('unknown command', () => {
    expectUsage(run(['frobnicate']), 'unknown command', /^perf-orc: .*frobnicate/)
  })

  it('no command', () => {
    expectUsage(run([]), 'no command', /^perf-orc: .*command/)
  })

  it('unknown option', () => {
    expectUsage(run(['script', join(REC, 'fp.data'), '--bogus-option']), 'unknown option', /^perf-orc: .*bogus-option/)
  })

  it('bad choice for --unwind', () => {
    expectUsage(run(['script', join(REC, 'fp.data'), '--unwind', 'magic']), '--unwind magic', /^perf-orc: .*magic/)
  })

  it('--inline is refused in one line; --no-inline, perf users\' habit, is accepted', () => {
    expectUsage(run(['script', join(REC, 'fp.data'), '--inline']), '--inline', /^perf-orc: --inline: .*--no-inline/)
    const r = run(['script', join(REC, 'fp.data'), '--symfs', join(ROOT, 'fixtures/symfs'), '--no-inline'])
    expect(r.status).toBe(0)
    expect(r.stdout).toMatch(/^fpdemo\s+\d+/)
  })

  it('non-numeric --pid is one line, exit 1', () => {
    expectOneLineError(run(['script', join(REC, 'fp.data'), '--pid', 'abc']), '--pid abc', /--pid.*abc/)
  })
})
