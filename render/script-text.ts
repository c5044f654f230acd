/**
 * perf script's default text format, sample for sample (tools/perf/builtin-script.c,
 * perf_sample__fprintf_start + sample__fprintf_callchain in perf 6.1):
 *
 *   t1 12015   430.491759:    1001001 cpu-clock:pppH: 
 *   \t            1177 work+0x3e (/tmp/t1)
 *   (blank line)
 *
 * comm is "%s " when a callchain follows, else "%16s "; tid "%5d "; "[%03d] " cpu when the
 * sample has one; time "%5lu.%06lu: "; period "%10lu "; "event: ". Frames print the map-relative
 * address ("%16lx"), then "sym+0xoff" or "[unknown]", then " (dso)". Unreliable frames carry the
 * kernel's "? " before the symbol.
 */
import { addrHex } from '../parsers/common/addr.js'
import type { ResolvedFrame, ResolvedSample } from './model.js'

export interface ScriptTextOptions {
  /** The recording's samples carry a CPU field (system-wide / per-CPU recording). */
  showCpu: boolean
  /** The event records callchains (frames go on their own lines). */
  callchain: boolean
  /** perf right-aligns event names to the longest name in the file ("%*s: "). */
  nameWidth: number
  /** Event names whose samples print no period (tracepoints, as perf's default fields). */
  noPeriod?: ReadonlySet<string>
}

/** Where writeScriptSample appends: text to encode, or lines already encoded as UTF-8. */
export interface TextOut {
  text(s: string): void
  bytes(b: Uint8Array): void
}

/** One sample's text appended to `out` (frame lines come from a per-address cache of bytes). */
export function writeScriptSample(s: ResolvedSample, opts: ScriptTextOptions, out: TextOut): void {
  const head = sampleHead(s, opts)
  if (!opts.callchain) {
    const f = s.frames[0]
    out.text(head + (f ? ' ' + formatFrame(f) : '') + '\n')
    return
  }
  out.text(head + '\n')
  const frames = s.frames
  for (let i = 0; i < frames.length; i++) out.bytes(frameLine(frames[i]!))
  out.bytes(NEWLINE)
}

function sampleHead(s: ResolvedSample, opts: ScriptTextOptions): string {
  let head = opts.callchain ? `${s.comm} ` : `${s.comm.padStart(16)} `
  head += `${String(s.tid).padStart(5)} `
  if (opts.showCpu && s.cpu >= 0) head += `[${String(s.cpu).padStart(3, '0')}] `
  head += `${formatTime(s.time)}: `
  if (!opts.noPeriod?.has(s.eventName)) head += `${String(s.period).padStart(10)} `
  return head + `${s.eventName.padStart(opts.nameWidth)}: `
}

const NEWLINE = Buffer.from('\n')

export function formatFrame(f: ResolvedFrame): string {
  const mark = f.reliability === 'reliable' ? '' : '? '
  const sym = f.symbol !== undefined ? `${f.symbol}+0x${f.symOffset.toString(16)}` : '[unknown]'
  return `${(f.addrHex ?? addrHex(f.relAddr)).padStart(16)} ${mark}${sym} (${f.dso ?? '[unknown]'})`
}

/**
 * "\t" + formatFrame(f) + "\n" as UTF-8, remembered per absolute address: a profile repeats the
 * same few thousand frames, so the hex, padding, concatenation and encoding are done once per
 * address. The entry is used only when every printed field still matches (another process may
 * map something else there).
 */
interface CachedLine {
  relAddr: number
  symbol: string | undefined
  symOffset: number
  dso: string | undefined
  reliable: boolean
  line: Uint8Array
}
const lineCache = new Map<number, CachedLine>()
const LINE_CACHE_MAX = 1 << 16
/** Lines of interned frames (ResolvedFrame.id): an array index instead of a hash and 5 compares. */
const lineById: (Uint8Array | undefined)[] = []

function frameLine(f: ResolvedFrame): Uint8Array {
  const id = f.id
  if (id !== undefined) return (lineById[id] ??= Buffer.from('\t' + formatFrame(f) + '\n'))
  return frameLineByAddr(f)
}

function frameLineByAddr(f: ResolvedFrame): Uint8Array {
  if (f.addrHex !== undefined) return Buffer.from('\t' + formatFrame(f) + '\n') // inexact f.addr: not a cache key
  const reliable = f.reliability === 'reliable'
  const c = lineCache.get(f.addr)
  if (
    c !== undefined &&
    c.relAddr === f.relAddr &&
    c.symbol === f.symbol &&
    c.symOffset === f.symOffset &&
    c.dso === f.dso &&
    c.reliable === reliable
  ) {
    return c.line
  }
  const line = Buffer.from('\t' + formatFrame(f) + '\n')
  if (c !== undefined) {
    c.relAddr = f.relAddr
    c.symbol = f.symbol
    c.symOffset = f.symOffset
    c.dso = f.dso
    c.reliable = reliable
    c.line = line
  } else {
    if (lineCache.size >= LINE_CACHE_MAX) lineCache.clear()
    lineCache.set(f.addr, { relAddr: f.relAddr, symbol: f.symbol, symOffset: f.symOffset, dso: f.dso, reliable, line })
  }
  return line
}

/** perf's "%5lu.%06lu": seconds padded to 5, microseconds, truncated. */
export function formatTime(ns: number): string {
  const secs = Math.floor(ns / 1e9)
  const usecs = Math.floor((ns - secs * 1e9) / 1e3)
  return `${String(secs).padStart(5)}.${String(usecs).padStart(6, '0')}`
}
