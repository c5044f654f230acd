/**
 * Samples from `perf data convert --to-json` output: perf already walked and named these stacks,
 * so they become ResolvedSamples as they are (all frames reliable, nothing to unwind).
 */
import type { PerfJsonFrame, PerfJsonSample } from '../parsers/perf-json/types.js'
import type { FrameKind, ResolvedFrame, ResolvedSample } from '../render/model.js'

/** perf 6.1 writes no event name or period; a converted sample weighs one. */
const DEFAULT_EVENT = 'perf-json'

export function resolveJsonSample(j: PerfJsonSample): ResolvedSample {
  return {
    pid: j.pid,
    tid: j.tid,
    comm: j.comm,
    cpu: j.cpu ?? -1,
    time: j.time,
    period: j.period ?? 1,
    eventName: j.event ?? DEFAULT_EVENT,
    frames: j.callchain.map(frame),
    rooted: false,
    stackTruncated: false,
    fakeRegs: false,
  }
}

function frame(f: PerfJsonFrame): ResolvedFrame {
  return { addr: f.ip, relAddr: f.ip, symbol: f.symbol, symOffset: 0, dso: f.dso, kind: kindOf(f), reliability: 'reliable' }
}

function kindOf(f: PerfJsonFrame): FrameKind {
  if (f.ip < 0 || (f.dso?.startsWith('[kernel') ?? false)) return 'kernel'
  if (f.dso?.startsWith('/tmp/perf-') && f.dso.endsWith('.map')) return 'jit'
  return f.dso !== undefined || f.symbol !== undefined ? 'user' : 'unknown'
}
