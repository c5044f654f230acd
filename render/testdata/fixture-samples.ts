/**
 * Hand-built samples for render/ tests and the docs screenshot: two processes, three threads, kernel +
 * user + JIT frames, unreliable frames of every kind, and two hostile symbol names that must stay text.
 */
import type { FrameKind, ProfileMeta, Reliability, ResolvedFrame, ResolvedSample } from '../model.js'

export const HOSTILE_IMG = '<img src=x onerror=window.__pwned=1>'
export const HOSTILE_SCRIPT = '</script><script>window.__pwned=2</script>'

const LIBC = '/usr/lib/x86_64-linux-gnu/libc.so.6'
const APP = '/usr/bin/app'
const KERNEL = '[kernel.kallsyms]'
const JIT = '[JIT] tid 201'

let nextAddr = 0x401000
const addrs = new Map<string, number>()

function addrOf(symbol: string | undefined, kind: FrameKind): number {
  const key = `${kind}:${symbol}`
  let a = addrs.get(key)
  if (a === undefined) {
    nextAddr += 0x40
    // Kernel addresses are negative Addrs (signed interpretation of 0xffffffff8…).
    a = kind === 'kernel' ? -0x7f000000 + nextAddr : nextAddr
    addrs.set(key, a)
  }
  return a
}

/** f('main') = reliable user frame in /usr/bin/app; options override dso/kind/reliability. */
export function f(
  symbol: string | undefined,
  opts: { dso?: string; kind?: FrameKind; reliability?: Reliability } = {},
): ResolvedFrame {
  const kind = opts.kind ?? 'user'
  const addr = addrOf(symbol, kind)
  return {
    addr,
    relAddr: kind === 'user' ? addr - 0x400000 : addr,
    symbol,
    symOffset: 4,
    dso: opts.dso ?? (kind === 'kernel' ? KERNEL : kind === 'jit' ? JIT : APP),
    kind,
    reliability: opts.reliability ?? 'reliable',
  }
}

const k = (s: string, r: Reliability = 'reliable') => f(s, { kind: 'kernel', reliability: r })
const libc = (s: string, r: Reliability = 'reliable') => f(s, { dso: LIBC, reliability: r })
const jit = (s: string) => f(s, { kind: 'jit' })

interface Shape {
  pid: number
  tid: number
  comm: string
  count: number
  period: number
  /** Root first here (easier to read); stored leaf first like perf. */
  rootFirst: ResolvedFrame[]
  rooted?: boolean
  stackTruncated?: boolean
  fakeRegs?: boolean
}

const start = [libc('__libc_start_main'), f('main')]
const worker = [libc('clone3'), libc('start_thread'), f('worker')]

export const SHAPES: Shape[] = [
  { pid: 100, tid: 100, comm: 'app', count: 40, period: 1000, rootFirst: [...start, f('compute'), f('hot_loop')] },
  { pid: 100, tid: 100, comm: 'app', count: 20, period: 1000, rootFirst: [...start, f('compute'), libc('memcpy')] },
  {
    pid: 100, tid: 100, comm: 'app', count: 10, period: 1000,
    rootFirst: [...start, f('write_out'), libc('write'), k('entry_SYSCALL_64'), k('ksys_write'), k('vfs_write')],
  },
  { pid: 100, tid: 101, comm: 'app-worker', count: 30, period: 2000, rootFirst: [...worker, f('parse'), f(HOSTILE_IMG)] },
  {
    pid: 100, tid: 101, comm: 'app-worker', count: 8, period: 2000, rooted: false,
    rootFirst: [f(undefined, { reliability: 'fp-guess' }), f('parse', { reliability: 'below-guess' }), f(HOSTILE_SCRIPT, { reliability: 'fp-guess' })],
  },
  {
    pid: 100, tid: 101, comm: 'app-worker', count: 4, period: 2000, rooted: false, stackTruncated: true,
    rootFirst: [f('deep_recursion'), f('deep_recursion'), f('leaf;with;semicolons')],
  },
  {
    pid: 200, tid: 201, comm: 'java', count: 25, period: 1000,
    rootFirst: [...worker, f('JavaMain', { dso: '/usr/lib/jvm/libjli.so' }), jit('Interpreter'), jit('LFoo;::bar')],
  },
  {
    pid: 200, tid: 201, comm: 'java', count: 6, period: 1000, fakeRegs: true,
    rootFirst: [...worker, jit('LFoo;::bar'), k('asm_exc_page_fault'), k('bpf_prog_123_trace', 'kernel-bpf'), k('handle_mm_fault')],
  },
]

function expand(shape: Shape, t0: number): ResolvedSample[] {
  const out: ResolvedSample[] = []
  for (let i = 0; i < shape.count; i++) {
    out.push({
      pid: shape.pid,
      tid: shape.tid,
      comm: shape.comm,
      cpu: shape.tid % 4,
      time: t0 + i * 1_000_000,
      period: shape.period,
      eventName: 'cycles',
      frames: [...shape.rootFirst].reverse(),
      rooted: shape.rooted ?? true,
      stackTruncated: shape.stackTruncated ?? false,
      fakeRegs: shape.fakeRegs ?? false,
    })
  }
  return out
}

/** All fixture samples, in time order. */
export function fixtureSamples(): ResolvedSample[] {
  const all = SHAPES.flatMap((s, i) => expand(s, 1_000_000_000_000 + i * 137_000))
  return all.sort((a, b) => a.time - b.time)
}

export function fixtureMeta(): ProfileMeta {
  return {
    hostname: 'build-box',
    osRelease: '6.8.0-45-generic',
    arch: 'x86_64',
    cmdline: 'perf record -g -e cycles ./app --input <data.bin>',
    events: ['cycles'],
    firstTime: 1_000_000_000_000,
    lastTime: 1_000_040_000_000,
    lostSamples: 3,
  }
}
