/**
 * A compact in-memory collection of resolved samples for renderers that need every sample
 * (reports, flamegraphs, speedscope, pprof) without keeping one object per frame: frames are
 * interned into a table, stacks into a prefix tree (parent, frame) → node id, and the per-sample
 * fields live in growable typed arrays. Iterating re-materializes transient ResolvedSamples
 * (frames shared between samples), so memory grows with distinct stacks, not with samples.
 */
import type { ResolvedFrame, ResolvedSample } from './model.js'

class Column {
  data: Float64Array
  length = 0
  constructor() {
    this.data = new Float64Array(1024)
  }
  push(v: number): void {
    if (this.length === this.data.length) {
      const next = new Float64Array(this.data.length * 2)
      next.set(this.data)
      this.data = next
    }
    this.data[this.length++] = v
  }
}

const FLAG_ROOTED = 1
const FLAG_TRUNCATED = 2
const FLAG_FAKE = 4

export class SampleStore implements Iterable<ResolvedSample> {
  private readonly frames: ResolvedFrame[] = []
  /** Frame ids by address (addrHex for the rare address beyond 2^53): usually one frame each. */
  private readonly framesByAddr = new Map<number | string, number[]>()
  /** Prefix tree over stacks, root first: node i = (nodeParent[i], nodeFrame[i]). */
  private readonly nodeParent: number[] = []
  private readonly nodeFrame: number[] = []
  private readonly nodeIds = new Map<number | string, number>()
  private readonly strings: string[] = []
  private readonly stringIds = new Map<string, number>()
  private readonly cols = {
    stack: new Column(), pid: new Column(), tid: new Column(), comm: new Column(), cpu: new Column(),
    time: new Column(), period: new Column(), event: new Column(), flags: new Column(),
  }

  get length(): number {
    return this.cols.stack.length
  }

  add(s: ResolvedSample): void {
    let node = -1
    for (let i = s.frames.length - 1; i >= 0; i--) node = this.child(node, this.frameId(s.frames[i]!))
    const c = this.cols
    c.stack.push(node)
    c.pid.push(s.pid)
    c.tid.push(s.tid)
    c.comm.push(this.stringId(s.comm))
    c.cpu.push(s.cpu)
    c.time.push(s.time)
    c.period.push(s.period)
    c.event.push(this.stringId(s.eventName))
    c.flags.push((s.rooted ? FLAG_ROOTED : 0) | (s.stackTruncated ? FLAG_TRUNCATED : 0) | (s.fakeRegs ? FLAG_FAKE : 0))
  }

  *[Symbol.iterator](): Iterator<ResolvedSample> {
    const c = this.cols
    for (let i = 0; i < c.stack.length; i++) {
      const flags = c.flags.data[i]!
      yield {
        pid: c.pid.data[i]!,
        tid: c.tid.data[i]!,
        comm: this.strings[c.comm.data[i]!]!,
        cpu: c.cpu.data[i]!,
        time: c.time.data[i]!,
        period: c.period.data[i]!,
        eventName: this.strings[c.event.data[i]!]!,
        frames: this.stackFrames(c.stack.data[i]!),
        rooted: (flags & FLAG_ROOTED) !== 0,
        stackTruncated: (flags & FLAG_TRUNCATED) !== 0,
        fakeRegs: (flags & FLAG_FAKE) !== 0,
      }
    }
  }

  /** Leaf-first frames of a stack node. */
  private stackFrames(node: number): ResolvedFrame[] {
    const out: ResolvedFrame[] = []
    for (let n = node; n >= 0; n = this.nodeParent[n]!) out.push(this.frames[this.nodeFrame[n]!]!)
    return out
  }

  private child(parent: number, frame: number): number {
    // frame < 2^21 and parent < 2^31 keep the numeric key exact in a double; beyond, a string key.
    const key: number | string = frame < 2097152 ? (parent + 1) * 2097152 + frame : `${parent}:${frame}`
    let id = this.nodeIds.get(key)
    if (id === undefined) {
      id = this.nodeParent.length
      this.nodeParent.push(parent)
      this.nodeFrame.push(frame)
      this.nodeIds.set(key, id)
    }
    return id
  }

  /**
   * Id of a frame equal to `f` in every field, adding it on first sight. Keyed by address first
   * (a number, no string built per frame: this runs for every frame of every sample); the few
   * frames sharing an address (other processes, other reliabilities) are compared field by field.
   */
  private frameId(f: ResolvedFrame): number {
    const key = f.addrHex ?? f.addr
    let ids = this.framesByAddr.get(key)
    if (ids === undefined) {
      ids = []
      this.framesByAddr.set(key, ids)
    }
    for (const id of ids) if (sameFrame(this.frames[id]!, f)) return id
    const id = this.frames.length
    this.frames.push(f)
    ids.push(id)
    return id
  }

  private stringId(s: string): number {
    let id = this.stringIds.get(s)
    if (id === undefined) {
      id = this.strings.length
      this.strings.push(s)
      this.stringIds.set(s, id)
    }
    return id
  }
}

function sameFrame(a: ResolvedFrame, b: ResolvedFrame): boolean {
  if (a === b) return true // the resolver hands out one object per repeated frame
  return (
    a.relAddr === b.relAddr &&
    a.symOffset === b.symOffset &&
    a.reliability === b.reliability &&
    a.kind === b.kind &&
    (a.dso ?? '') === (b.dso ?? '') &&
    (a.symbol ?? '') === (b.symbol ?? '')
  )
}
