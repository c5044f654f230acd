/**
 * Sample selection the CLI applies before any renderer sees the samples (renderers never filter).
 * Options follow perf report: --comms, --pid, --tid, --time "start,stop" in seconds, --event.
 */
import type { ResolvedSample } from './model.js'
import { UsageError } from '../parsers/common/errors.js'

export type SampleFilter = (s: ResolvedSample) => boolean

export interface FilterOptions {
  comms?: readonly string[]
  pids?: readonly number[]
  tids?: readonly number[]
  /** perf --time syntax: "start,stop" in seconds of perf clock; either side may be empty. */
  time?: string
  event?: string
}

export interface TimeRange {
  /** Nanoseconds, inclusive. */
  startNs: number
  /** Nanoseconds, inclusive. */
  stopNs: number
}

const NS_PER_S = 1e9

/** Parse "10.5,12" / "10.5," / ",12" (seconds) into nanoseconds; throws UsageError on anything else. */
export function parseTimeRange(spec: string): TimeRange {
  const parts = spec.split(',')
  if (parts.length !== 2) throw new UsageError(`--time expects "start,stop" in seconds, got "${spec}"`)
  const startNs = parseSeconds(parts[0]!, 0, spec)
  const stopNs = parseSeconds(parts[1]!, Number.POSITIVE_INFINITY, spec)
  if (stopNs < startNs) throw new UsageError(`--time "${spec}": stop is before start`)
  return { startNs, stopNs }
}

function parseSeconds(text: string, ifEmpty: number, spec: string): number {
  const t = text.trim()
  if (t === '') return ifEmpty
  if (!/^\d+(\.\d*)?$|^\.\d+$/.test(t)) throw new UsageError(`--time "${spec}": "${t}" is not a number of seconds`)
  return Math.round(Number(t) * NS_PER_S)
}

/** One predicate for all given options; an option left out does not filter. */
export function makeSampleFilter(opts: FilterOptions): SampleFilter {
  const tests: SampleFilter[] = []
  if (opts.comms !== undefined && opts.comms.length > 0) {
    const comms = new Set(opts.comms)
    tests.push((s) => comms.has(s.comm))
  }
  if (opts.pids !== undefined && opts.pids.length > 0) {
    const pids = new Set(opts.pids)
    tests.push((s) => pids.has(s.pid))
  }
  if (opts.tids !== undefined && opts.tids.length > 0) {
    const tids = new Set(opts.tids)
    tests.push((s) => tids.has(s.tid))
  }
  if (opts.time !== undefined && opts.time !== '') {
    const { startNs, stopNs } = parseTimeRange(opts.time)
    tests.push((s) => s.time >= startNs && s.time <= stopNs)
  }
  if (opts.event !== undefined && opts.event !== '') {
    const event = opts.event
    tests.push((s) => s.eventName === event)
  }
  return (s) => tests.every((t) => t(s))
}
