/**
 * Persistent cache of compiled tables, keyed by build-id, under $XDG_CACHE_HOME/perf-orc
 * (default ~/.cache/perf-orc). Compiling libc takes ~10-100 ms depending on JIT warm-up; reading
 * its ~28k-entry table back is a single 400 KB read.
 *
 * File layout (little-endian), one file per (build-id, variant):
 *
 *   0  u32 magic "PORC" (0x43524f50)     4  u32 FORMAT_VERSION       8  u32 COMPILER_VERSION
 *   12 u32 entry count n                16  u32 flags (bit 0 undefinedIsGap)
 *   20 u32 metadata length m            24  u32 crc32 of everything after the 32-byte header
 *   28 u32 reserved
 *   32 metadata: UTF-8 JSON {stats, sources} (m bytes), zero-padded to a multiple of 8
 *   .. f64 ips[n] | s16 spOffset[n] | s16 bpOffset[n] | u8 regs[n] | u8 typeSignal[n]
 *
 * A file that fails any check (magic, versions, sizes, crc, ips not ascending) is ignored and
 * rewritten; writes go to a temp file renamed into place so readers never see half a file.
 * Bump COMPILER_VERSION whenever compile-cfi/compile-sframe change what they emit.
 */
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { homedir } from 'node:os'
import { join } from 'node:path'
import { crc32 } from 'node:zlib'
import type { ElfFile } from '../../parsers/elf/elf-file.js'
import { compileBinaryTable, type BinaryTable, type UnwindSource } from './binary-tables.js'
import type { CompileStats } from './compile-cfi.js'
import { OrcTable } from './table.js'

const MAGIC = 0x43524f50
export const CACHE_FORMAT_VERSION = 1
export const CACHE_COMPILER_VERSION = 5
const HEADER_BYTES = 32

export interface TableCacheOptions {
  /** Cache directory; default cacheDirFromEnv(). */
  dir?: string
  /** Neither read nor write the cache. */
  noCache?: boolean
}

/** $XDG_CACHE_HOME/perf-orc, or ~/.cache/perf-orc. */
export function cacheDirFromEnv(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CACHE_HOME && env.XDG_CACHE_HOME.startsWith('/') ? env.XDG_CACHE_HOME : join(env.HOME ?? homedir(), '.cache')
  return join(base, 'perf-orc')
}

/** Cache file for a build-id; `variant` separates tables built with and without a debug file. */
export function cachePath(dir: string, buildId: string, variant: string): string {
  return join(dir, `${buildId.toLowerCase().replace(/[^0-9a-f]/g, '')}.${variant}.orc`)
}

/**
 * The table for `elf`: from the cache when a valid entry exists for its build-id, else compiled
 * and stored. Binaries without a build-id are always compiled (nothing safe to key on).
 */
export function loadOrCompileTable(
  elf: ElfFile,
  opts: TableCacheOptions & { debugFile?: ElfFile } = {},
): BinaryTable & { fromCache: boolean } {
  const buildId = elf.buildId
  const variant = opts.debugFile ? 'dbg' : 'bin'
  const path = buildId && !opts.noCache ? cachePath(opts.dir ?? cacheDirFromEnv(), buildId, variant) : undefined
  if (path !== undefined) {
    const hit = readCachedTable(path)
    if (hit !== undefined) return { ...hit, fromCache: true }
  }
  const compiled = compileBinaryTable(elf, { debugFile: opts.debugFile })
  if (path !== undefined) writeCachedTable(path, compiled)
  return { ...compiled, fromCache: false }
}

/** Read and validate one cache file; undefined when missing or invalid in any way. */
export function readCachedTable(path: string): BinaryTable | undefined {
  let buf: Buffer
  try {
    buf = readFileSync(path)
  } catch {
    return undefined
  }
  return decodeTable(new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength))
}

/** Write atomically (temp + rename). Returns false when the directory is not writable. */
export function writeCachedTable(path: string, t: BinaryTable): boolean {
  const tmp = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`
  try {
    mkdirSync(join(path, '..'), { recursive: true })
    writeFileSync(tmp, encodeTable(t))
    renameSync(tmp, path)
    return true
  } catch {
    rmSync(tmp, { force: true })
    return false
  }
}

export function encodeTable(t: BinaryTable): Uint8Array {
  const n = t.table.length
  const meta = new TextEncoder().encode(JSON.stringify({ stats: t.stats, sources: t.sources }))
  const metaPadded = align8(meta.byteLength)
  const size = HEADER_BYTES + metaPadded + n * 14
  const out = new Uint8Array(align8(size))
  const v = new DataView(out.buffer)
  v.setUint32(0, MAGIC, true)
  v.setUint32(4, CACHE_FORMAT_VERSION, true)
  v.setUint32(8, CACHE_COMPILER_VERSION, true)
  v.setUint32(12, n, true)
  v.setUint32(16, t.table.undefinedIsGap ? 1 : 0, true)
  v.setUint32(20, meta.byteLength, true)
  out.set(meta, HEADER_BYTES)
  let p = HEADER_BYTES + metaPadded
  // Typed-array views copy with the platform's byte order; x86-64 and arm64 are little-endian.
  out.set(new Uint8Array(t.table.ips.buffer, t.table.ips.byteOffset, n * 8), p)
  p += n * 8
  out.set(new Uint8Array(t.table.spOffset.buffer, t.table.spOffset.byteOffset, n * 2), p)
  p += n * 2
  out.set(new Uint8Array(t.table.bpOffset.buffer, t.table.bpOffset.byteOffset, n * 2), p)
  p += n * 2
  out.set(t.table.regs.subarray(0, n), p)
  p += n
  out.set(t.table.typeSignal.subarray(0, n), p)
  v.setUint32(24, crc32(out.subarray(HEADER_BYTES)) >>> 0, true)
  return out
}

export function decodeTable(b: Uint8Array): BinaryTable | undefined {
  if (b.byteLength < HEADER_BYTES) return undefined
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength)
  if (v.getUint32(0, true) !== MAGIC || v.getUint32(4, true) !== CACHE_FORMAT_VERSION) return undefined
  if (v.getUint32(8, true) !== CACHE_COMPILER_VERSION) return undefined
  const n = v.getUint32(12, true)
  const metaLen = v.getUint32(20, true)
  const dataAt = HEADER_BYTES + align8(metaLen)
  if (align8(dataAt + n * 14) !== b.byteLength) return undefined
  if ((crc32(b.subarray(HEADER_BYTES)) >>> 0) !== v.getUint32(24, true)) return undefined
  let meta: { stats: CompileStats; sources: UnwindSource[] }
  try {
    meta = JSON.parse(new TextDecoder().decode(b.subarray(HEADER_BYTES, HEADER_BYTES + metaLen)))
  } catch {
    return undefined
  }
  // Copy into fresh, aligned arrays (the file buffer's offset need not be 8-aligned).
  const copy = b.slice(dataAt, dataAt + n * 14)
  const ips = new Float64Array(copy.buffer, 0, n)
  for (let i = 1; i < n; i++) if (!(ips[i]! > ips[i - 1]!)) return undefined
  const table = new OrcTable(
    ips,
    new Int16Array(copy.buffer, n * 8, n),
    new Int16Array(copy.buffer, n * 10, n),
    new Uint8Array(copy.buffer, n * 12, n),
    new Uint8Array(copy.buffer, n * 13, n),
  )
  table.undefinedIsGap = (v.getUint32(16, true) & 1) === 1
  return { table, stats: meta.stats, sources: meta.sources }
}

function align8(x: number): number {
  return Math.ceil(x / 8) * 8
}
