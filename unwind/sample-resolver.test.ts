import { describe, expect, it } from 'vitest'
import { PerfContext, RecordType, type KsymbolRecord, type MmapRecord, type SampleRecord } from '../parsers/perf-data/types.js'
import { Diagnostics } from './diagnostics.js'
import { Machine } from './process/machine.js'
import { SampleResolver } from './sample-resolver.js'
import { Symbolizer } from './symbols/symbolizer.js'
import { formatFrame } from '../render/script-text.js'

const BPF_PROG = -0x3f000000 // 0xffffffffc1000000, where the kernel puts BPF JIT images
const K1 = -0x7e000000

function resolver(): { machine: Machine; resolve: (s: SampleRecord) => ReturnType<SampleResolver['resolve']> } {
  const machine = new Machine()
  const ksym: KsymbolRecord = { type: RecordType.KSYMBOL, misc: 0, offset: 0, addr: BPF_PROG, len: 0x100, ksymType: 1, flags: 0, name: 'bpf_prog_abc_handler', sampleId: {} }
  machine.handle(ksym)
  const r = new SampleResolver(machine, new Symbolizer(machine, {}, new Diagnostics()), () => 'cpu-clock')
  return { machine, resolve: (s) => r.resolve(s) }
}

function sample(chain: number[]): SampleRecord {
  return { type: RecordType.SAMPLE, attrIndex: 0, misc: 0, offset: 0, pid: 1, tid: 1, callchain: Float64Array.from(chain) }
}

describe('SampleResolver kernel callchains', () => {
  it('marks kernel frames below a BPF program unreliable (the kernel reached them by its FP fallback)', () => {
    const { resolve } = resolver()
    const s = resolve(sample([PerfContext.KERNEL, K1, BPF_PROG + 0x10, K1 + 0x40, K1 + 0x80, PerfContext.USER, 0x401000]))
    expect(s.frames.map((f) => f.reliability)).toEqual(['reliable', 'reliable', 'kernel-bpf', 'kernel-bpf', 'reliable'])
    expect(s.frames[1]!.symbol).toBe('bpf_prog_abc_handler')
    expect(s.frames[1]!.symOffset).toBe(0x10)
  })

  it('leaves stacks without BPF frames reliable', () => {
    const { resolve } = resolver()
    const s = resolve(sample([PerfContext.KERNEL, K1, K1 + 0x40, PerfContext.USER, 0x401000]))
    expect(s.frames.every((f) => f.reliability === 'reliable')).toBe(true)
    expect(s.frames.map((f) => f.kind)).toEqual(['kernel', 'kernel', 'unknown'])
  })
})

describe('SampleResolver garbage callchain entries', () => {
  it('keeps a non-canonical u64 exact (a number cannot hold it)', () => {
    const { resolve } = resolver()
    const bytes = new Uint8Array(3 * 8)
    const v = new DataView(bytes.buffer)
    v.setBigInt64(0, -512n, true) // PERF_CONTEXT_USER
    v.setBigUint64(8, 0x401000n, true)
    v.setBigUint64(16, 0x3930333438303538n, true) // ASCII digits read as a return address
    const rec = sample([PerfContext.USER, 0x401000, Number(0x3930333438303538n)])
    rec.callchainBytes = bytes
    const s = resolve(rec)
    expect(s.frames[1]!.addrHex).toBe('3930333438303538')
    expect(formatFrame(s.frames[1]!)).toBe('3930333438303538 [unknown] ([unknown])')
    expect(s.frames[0]!.addrHex).toBeUndefined()
  })
})

describe('SampleResolver frame reuse', () => {
  const mmap = (filename: string, pgoff: number): MmapRecord => ({ type: RecordType.MMAP, misc: 0, offset: 0, pid: 1, tid: 1, start: 0x400000, len: 0x10000, pgoff, filename })

  it('reuses a frame while its mapping lasts, and names the new file after a remap', () => {
    const { machine, resolve } = resolver()
    machine.handle(mmap('/opt/a/liba.so', 0))
    const first = resolve(sample([PerfContext.USER, 0x401000])).frames[0]!
    const again = resolve(sample([PerfContext.USER, 0x401000])).frames[0]!
    expect(again).toBe(first)
    expect([first.dso, first.relAddr]).toEqual(['/opt/a/liba.so', 0x1000])
    machine.handle(mmap('/opt/b/libb.so', 0x2000)) // mapped over the same range
    const after = resolve(sample([PerfContext.USER, 0x401000])).frames[0]!
    expect([after.dso, after.relAddr]).toEqual(['/opt/b/libb.so', 0x3000])
    expect(first.dso).toBe('/opt/a/liba.so') // the frame handed out earlier is unchanged
  })
})
