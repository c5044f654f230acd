/**
 * Raw kernel stack captures as JSON lines (format: FORMAT.md): one object per line with the
 * registers at the sample point, a copy of the kernel stack from `stack_base` up, and optionally
 * the load addresses of the modules involved. Written by a BPF program or a crash-dump script;
 * unwound offline by unwind/orc-unwinder.ts (unwindKernelCapture). This module only parses.
 *
 * Streaming: captures are yielded line by line; a bad line raises KernelCaptureError naming its
 * line number after every earlier capture has been yielded (a capture file cut short keeps its
 * good part), or is collected and skipped with `onBadLine`.
 */
import { createInterface } from 'node:readline'
import { Readable } from 'node:stream'
import { PerfOrcError } from '../common/errors.js'
import type { Addr } from '../common/addr.js'

/** A malformed capture line; `line` is 1-based. */
export class KernelCaptureError extends PerfOrcError {
  constructor(
    readonly detail: string,
    readonly line: number,
  ) {
    super(`capture line ${line}: ${detail}`)
  }
}

/** x86-64 pt_regs names accepted in "regs" (arch/x86/include/asm/ptrace.h). */
export const CAPTURE_REG_NAMES = [
  'r15', 'r14', 'r13', 'r12', 'bp', 'bx', 'r11', 'r10', 'r9', 'r8',
  'ax', 'cx', 'dx', 'si', 'di', 'orig_ax', 'ip', 'cs', 'flags', 'sp', 'ss',
] as const
export type CaptureRegName = (typeof CAPTURE_REG_NAMES)[number]

/** Registers: ip and sp always; the rest when the producer had them (fake tracepoint regs have few). */
export type CaptureRegs = { ip: Addr; sp: Addr } & Partial<Record<CaptureRegName, Addr>>

/** A copied stack range: bytes[k] is the byte at address base + k. */
export interface CapturedStack {
  base: Addr
  bytes: Uint8Array
}

export interface CapturedModule {
  name: string
  /** Path of the .ko on the analysing machine, when the producer knew it. */
  path?: string
  /** Section name (".text", ".init.text", …) → load address. */
  sections: Map<string, Addr>
}

export interface KernelCapture {
  /** 1-based line in the input. */
  line: number
  regs: CaptureRegs
  /** The stack the registers point into. */
  stack: CapturedStack
  /** Further ranges (IRQ / exception stacks) the unwinder may switch to. */
  extraStacks: CapturedStack[]
  modules: CapturedModule[]
  comm?: string
  pid?: number
  tid?: number
  cpu?: number
  /** Producer's timestamp in nanoseconds, as given. */
  time?: number
}

/** Kernel stacks are 16 KiB (IRQ/exception stacks smaller); 1 MiB is certainly garbage. */
export const MAX_CAPTURE_STACK_BYTES = 1 << 20

const REG_SET = new Set<string>(CAPTURE_REG_NAMES)
const KNOWN_KEYS = new Set(['regs', 'stack_base', 'stack', 'stacks', 'modules', 'comm', 'pid', 'tid', 'cpu', 'time'])
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/

export interface ReadCaptureOptions {
  /** Called for each bad line instead of throwing; the line is skipped. */
  onBadLine?: (err: KernelCaptureError) => void
}

/** Captures from a byte or text stream (a file, stdin), one per non-blank line. */
export async function* readKernelCaptures(input: Readable | AsyncIterable<string | Uint8Array>, opts: ReadCaptureOptions = {}): AsyncGenerator<KernelCapture> {
  const stream = input instanceof Readable ? input : Readable.from(input)
  const rl = createInterface({ input: stream, crlfDelay: Infinity })
  let line = 0
  for await (const text of rl) {
    line++
    const c = parseOrReport(text, line, opts)
    if (c) yield c
  }
}

/** Captures from text already in memory. */
export function* parseKernelCaptureText(text: string, opts: ReadCaptureOptions = {}): Generator<KernelCapture> {
  const lines = text.split('\n')
  for (let i = 0; i < lines.length; i++) {
    const c = parseOrReport(lines[i]!.replace(/\r$/, ''), i + 1, opts)
    if (c) yield c
  }
}

function parseOrReport(text: string, line: number, opts: ReadCaptureOptions): KernelCapture | undefined {
  if (text.trim() === '') return undefined
  try {
    return parseKernelCaptureLine(text, line)
  } catch (e) {
    if (!(e instanceof KernelCaptureError) || !opts.onBadLine) throw e
    opts.onBadLine(e)
    return undefined
  }
}

/** One capture from one JSON line. */
export function parseKernelCaptureLine(text: string, line: number): KernelCapture {
  let obj: unknown
  try {
    obj = JSON.parse(text)
  } catch (e) {
    throw new KernelCaptureError(`not valid JSON (${(e as Error).message}); a cut-off last line looks like this`, line)
  }
  const o = asObject(obj, 'the line', line)
  for (const k of Object.keys(o)) if (!KNOWN_KEYS.has(k)) throw new KernelCaptureError(`unknown key "${k}"`, line)
  const capture: KernelCapture = {
    line,
    regs: parseRegs(o['regs'], line),
    stack: parseStack(o['stack_base'], o['stack'], 'stack', line),
    extraStacks: parseArray(o['stacks'], 'stacks', line).map((s, k) => {
      const so = asObject(s, `stacks[${k}]`, line)
      return parseStack(so['base'], so['data'], `stacks[${k}]`, line)
    }),
    modules: parseArray(o['modules'], 'modules', line).map((m, k) => parseModule(m, k, line)),
  }
  if (o['comm'] !== undefined) capture.comm = asString(o['comm'], 'comm', line)
  for (const k of ['pid', 'tid', 'cpu', 'time'] as const) {
    if (o[k] !== undefined) capture[k] = asInteger(o[k], k, line)
  }
  return capture
}

function parseRegs(v: unknown, line: number): CaptureRegs {
  const o = asObject(v, 'regs', line)
  const regs: Partial<Record<CaptureRegName, Addr>> = {}
  for (const [k, val] of Object.entries(o)) {
    if (!REG_SET.has(k)) throw new KernelCaptureError(`regs.${k} is not an x86-64 pt_regs name (ip, sp, bp, flags, cs, r10, …)`, line)
    regs[k as CaptureRegName] = parseCaptureAddr(val, `regs.${k}`, line)
  }
  if (regs.ip === undefined || regs.sp === undefined) throw new KernelCaptureError('regs must have ip and sp', line)
  return regs as CaptureRegs
}

function parseStack(base: unknown, data: unknown, what: string, line: number): CapturedStack {
  if (base === undefined || data === undefined) {
    const names = what === 'stack' ? ['stack_base', 'stack'] : [`${what}.base`, `${what}.data`]
    throw new KernelCaptureError(`${names[0]} and ${names[1]} are required`, line)
  }
  const b64 = asString(data, what, line)
  if (b64.length % 4 !== 0 || !BASE64.test(b64)) throw new KernelCaptureError(`${what} is not base64 (length ${b64.length})`, line)
  if ((b64.length / 4) * 3 > MAX_CAPTURE_STACK_BYTES + 3) {
    throw new KernelCaptureError(`${what} holds more than ${MAX_CAPTURE_STACK_BYTES} bytes, more than any kernel stack`, line)
  }
  const buf = Buffer.from(b64, 'base64')
  return { base: parseCaptureAddr(base, `${what} base`, line), bytes: new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength) }
}

function parseModule(v: unknown, k: number, line: number): CapturedModule {
  const o = asObject(v, `modules[${k}]`, line)
  const name = asString(o['name'], `modules[${k}].name`, line)
  const mod: CapturedModule = { name, sections: new Map() }
  if (o['path'] !== undefined) mod.path = asString(o['path'], `modules[${k}].path`, line)
  const add = (key: string, val: unknown): void => {
    // "text" and ".text" both name the .text section (/sys/module/NAME/sections/ uses the dotted form).
    const sec = key.startsWith('.') ? key : '.' + key
    mod.sections.set(sec, parseCaptureAddr(val, `modules[${k}].${key}`, line))
  }
  for (const [key, val] of Object.entries(o)) {
    if (key === 'name' || key === 'path') continue
    if (key === 'sections') for (const [s, a] of Object.entries(asObject(val, `modules[${k}].sections`, line))) add(s, a)
    else add(key, val)
  }
  return mod
}

/**
 * A u64 as "0x…" hex or decimal string (exact), or a JSON number when it is a safe integer
 * (JSON numbers above 2^53 have already lost bits, so kernel addresses must be strings).
 * Returns the signed interpretation (parsers/common/addr.ts).
 */
export function parseCaptureAddr(v: unknown, what: string, line: number): Addr {
  if (typeof v === 'number') {
    if (Number.isSafeInteger(v)) return v
    throw new KernelCaptureError(`${what} is a JSON number that cannot be exact; write addresses as "0x…" strings`, line)
  }
  if (typeof v !== 'string' || !/^(0x[0-9a-fA-F]{1,16}|[0-9]{1,20})$/.test(v)) {
    throw new KernelCaptureError(`${what} should be a "0x…" hex string, got ${JSON.stringify(v)?.slice(0, 40)}`, line)
  }
  const big = BigInt(v)
  if (big >= 1n << 64n) throw new KernelCaptureError(`${what} ${v} does not fit in 64 bits`, line)
  return Number(BigInt.asIntN(64, big))
}

function asObject(v: unknown, what: string, line: number): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new KernelCaptureError(`${what} should be a JSON object`, line)
  return v as Record<string, unknown>
}

function asString(v: unknown, what: string, line: number): string {
  if (typeof v !== 'string') throw new KernelCaptureError(`${what} should be a string`, line)
  return v
}

function asInteger(v: unknown, what: string, line: number): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) throw new KernelCaptureError(`${what} should be an integer`, line)
  return v
}

function parseArray(v: unknown, what: string, line: number): unknown[] {
  if (v === undefined) return []
  if (!Array.isArray(v)) throw new KernelCaptureError(`${what} should be an array`, line)
  return v
}
