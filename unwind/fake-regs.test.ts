import { describe, expect, it } from 'vitest'
import { parseAddrHex } from '../parsers/common/addr.js'
import { FrameBuffer, WalkStatus } from './frame-buffer.js'
import { isFakeRegs, unwindKernelCapture } from './fake-regs.js'
import { dropDuplicatedFirstKernelEntry, PERF_CONTEXT_KERNEL } from './kernel-callchain.js'
import { unwindOrc } from './orc-unwinder.js'
import { RegBit, UnwindRegs } from './regs.js'
import { END, ListLookup, R, StackImage, UND, call, table } from './testdata/synthetic-stack.js'

/*
 * ORC entries transcribed from Debian's linux-image-6.1.0-47-cloud-amd64 (6.1.170-3) modules with
 * `objtool --dump=orc` of linux-kbuild-6.1 (pre-6.3 text format "sp:.. bp:.. type:call end:0";
 * "sp:(und) bp:(und) type:call end:0" is the v1 terminator = our UNDEFINED).
 *
 * vmw_vsock_virtio_transport_common.ko, perf_trace_virtio_transport_recv_pkt (.text+4c0):
 *   4c0: push %rbp; 4c1: mov %rsp,%rbp; 4c4..4d5: push r15 r14 r13 r12 rbx; 4d9: sub $0x28,%rsp
 *   549: mov 0x8(%rbp),%rax  (regs->ip = CALLER_ADDR0)   569: mov %rbp,0x98(%r9) (regs->sp)
 *   570: movq $0x10,0x88(%r9) (regs->cs)                  57b: movq $0,0x90(%r9) (regs->flags)
 *   5bd: push $0x0; 5bf: push %r12; 5c4: call perf_trace_run_bpf_submit; 5c9: pop %rax
 *     .text+4c0: sp:sp+8 bp:(und)   .text+4c1: sp:sp+16 bp:prevsp-16   .text+4c4: sp:bp+16 bp:prevsp-16
 *     .text+5e8: sp:sp+8 bp:(und)   .text+5ed: sp:bp+16 bp:prevsp-16   .text+601: sp:(und) bp:(und)
 * same module, virtio_transport_recv_pkt (.text+2200):
 *   2205..2214: push r15 r14 r13 r12 rbp rbx; 2215: sub $0x68,%rsp; 2427..2436: push r15 r14 r12
 *   rcx rax; 2437: call __SCT__tp_func_virtio_transport_recv_pkt (-> the perf probe); 243c: add $0x28,%rsp
 *     .text+2200: sp:sp+8   .text+2207: sp:sp+16   .text+2209: sp:sp+24   .text+220b: sp:sp+32
 *     .text+2210: sp:sp+40  .text+2211: sp:sp+48 bp:prevsp-48   .text+2215: sp:sp+56 bp:prevsp-48
 *     .text+2219: sp:sp+160 bp:prevsp-48  (epilogue 23c8..23d2 omitted)  .text+23d7: sp:sp+160 bp:prevsp-48
 *     .text+2429: sp:sp+168  .text+242d: sp:sp+176  .text+242f: sp:sp+184  .text+2433: sp:sp+192
 *     .text+2437: sp:sp+200 bp:prevsp-48   .text+2440: sp:sp+160 bp:prevsp-48   .text+2b55: sp:(und)
 * vsock_loopback.ko, vsock_loopback_work (.text+80):
 *   85: push %rbp; 86: mov %rsp,%rbp; 89..91: push r13 r12 rbx; 98: and $-16,%rsp; 9c: sub $0x20,%rsp
 *   151: call virtio_transport_recv_pkt; 156: mov (%rsp),%rbx
 *     .text+80: sp:sp+8 bp:(und)   .text+86: sp:sp+16 bp:prevsp-16   .text+89: sp:bp+16 bp:prevsp-16
 *     .text+17e: sp:sp+8 bp:(und)  .text+183: sp:bp+16 bp:prevsp-16  .text+188: sp:(und) bp:(und)
 * vmlinux is synthetic: K+0x100 stands for perf_trace_run_bpf_submit (sp:sp+8 at its first insn),
 * K+0x50.. for the worker-thread root (END_OF_STACK).
 */
const PB = R.PREV_SP
const vtcTable = table([
  [0x4c0, call(R.SP, 8)], [0x4c1, call(R.SP, 16, PB, -16)], [0x4c4, call(R.BP, 16, PB, -16)],
  [0x5e8, call(R.SP, 8)], [0x5ed, call(R.BP, 16, PB, -16)], [0x601, UND],
  [0x2200, call(R.SP, 8)], [0x2207, call(R.SP, 16)], [0x2209, call(R.SP, 24)], [0x220b, call(R.SP, 32)],
  [0x2210, call(R.SP, 40)], [0x2211, call(R.SP, 48, PB, -48)], [0x2215, call(R.SP, 56, PB, -48)],
  [0x2219, call(R.SP, 160, PB, -48)], [0x23d7, call(R.SP, 160, PB, -48)], [0x2429, call(R.SP, 168, PB, -48)],
  [0x242d, call(R.SP, 176, PB, -48)], [0x242f, call(R.SP, 184, PB, -48)], [0x2433, call(R.SP, 192, PB, -48)],
  [0x2437, call(R.SP, 200, PB, -48)], [0x2440, call(R.SP, 160, PB, -48)], [0x2b55, UND],
])
const vlTable = table([
  [0x80, call(R.SP, 8)], [0x86, call(R.SP, 16, PB, -16)], [0x89, call(R.BP, 16, PB, -16)],
  [0x17e, call(R.SP, 8)], [0x183, call(R.BP, 16, PB, -16)], [0x188, UND],
])
const K = parseAddrHex('ffffffff81000000')
const VTC = parseAddrHex('ffffffffc0a10000') // .text of vmw_vsock_virtio_transport_common
const VL = parseAddrHex('ffffffffc0a30000') // .text of vsock_loopback
const kTable = table([[0, call(R.SP, 8)], [0x50, END], [0x100, call(R.SP, 8)], [0x200, UND]])
const lookup = () =>
  new ListLookup().add(K, K + 0x200, kTable, K).add(VTC, VTC + 0x2b55, vtcTable, VTC).add(VL, VL + 0x188, vlTable, VL)

const KS = parseAddrHex('ffffc90000400000')
const P0 = KS + 0x800 // sp at the capture point (first insn of perf_trace_run_bpf_submit)
const FB = P0 + 104 // perf_trace_*'s rbp: 5 pushes + 0x28 + 2 pushed args + the return address
const WB = FB + 216 + 56 // vsock_loopback_work's rbp (its sp at the call = FB + 216)

function captured(): StackImage {
  const st = new StackImage(KS, 0x1000)
  st.put(P0, VTC + 0x5c9) // perf_trace_run_bpf_submit returns into perf_trace_*+0x109
  st.put(FB, parseAddrHex('ffff888012345678')) // saved rbp of virtio_transport_recv_pkt (a GPR there)
  st.put(FB + 8, VTC + 0x243c) // perf_trace_* returns into virtio_transport_recv_pkt+0x23c
  st.put(FB + 216 - 48, WB) // virtio_transport_recv_pkt's pushed rbp (CFA - 48)
  st.put(FB + 216 - 8, VL + 0x156) // ... returns into vsock_loopback_work+0xd6
  st.put(WB, 0).put(WB + 8, K + 0x58) // vsock_loopback_work returns into the root
  return st
}

/** What perf_arch_fetch_caller_regs() stored in perf_trace_virtio_transport_recv_pkt. */
function fakeRegs(): UnwindRegs {
  const r = new UnwindRegs()
  r.ip = VTC + 0x243c
  r.sp = FB
  r.cs = 0x10
  r.flags = 0
  r.have = RegBit.IP | RegBit.SP | RegBit.BP | RegBit.CS | RegBit.FLAGS
  return r
}
function start(): UnwindRegs {
  return new UnwindRegs().set3(K + 0x100, P0, FB)
}
const frames = (out: FrameBuffer) => Array.from(out.addrs.subarray(0, out.length))

describe('isFakeRegs', () => {
  it('flags without X86_EFLAGS_FIXED are fake; hardware flags are not', () => {
    expect(isFakeRegs(fakeRegs())).toBe(true)
    const hw = fakeRegs()
    hw.flags = 0x246
    expect(isFakeRegs(hw)).toBe(false)
  })
  it('without flags: cs == __KERNEL_CS and bp == 0 hint', () => {
    const r = fakeRegs()
    r.have &= ~RegBit.FLAGS
    expect(isFakeRegs(r)).toBe(true)
    r.bp = 0x1234
    expect(isFakeRegs(r)).toBe(false)
    r.have = RegBit.IP
    expect(isFakeRegs(r)).toBe(false)
  })
})

describe('skip-SP over a stack laid out per real 6.1 module ORC entries', () => {
  const expected = [VTC + 0x243c, VL + 0x156, K + 0x58]

  it('fake regs + capture start: frames dropped until sp > regs.sp; regs.ip emitted once', () => {
    const out = new FrameBuffer()
    expect(unwindKernelCapture(fakeRegs(), captured().memory(), lookup(), out, start())).toBe(WalkStatus.END_OF_STACK)
    expect(frames(out)).toEqual(expected)
    expect(frames(out).filter((a) => a === fakeRegs().ip)).toHaveLength(1)
    expect(out.skipped).toBe(2) // the capture frame and perf_trace_*+0x109
    expect(out.sps[0]).toBe(FB + 16)
  })

  it('fake regs without a capture start: the state right after the skip is rebuilt from regs.sp', () => {
    const out = new FrameBuffer()
    expect(unwindKernelCapture(fakeRegs(), captured().memory(), lookup(), out)).toBe(WalkStatus.END_OF_STACK)
    expect(frames(out)).toEqual(expected)
  })

  it('hardware regs: regs.ip first, then every caller', () => {
    const hw = start()
    hw.flags = 0x246
    hw.have |= RegBit.FLAGS
    const out = new FrameBuffer()
    expect(unwindKernelCapture(hw, captured().memory(), lookup(), out)).toBe(WalkStatus.END_OF_STACK)
    expect(frames(out)).toEqual([K + 0x100, VTC + 0x5c9, ...expected])
  })

  it('skipUntilSp on the same walk equals the kernel callchain with the duplicate dropped', () => {
    // What a 5.2..6.17 kernel recorded for this tracepoint: regs->ip stored, then unwound again.
    const chain = new Float64Array([PERF_CONTEXT_KERNEL, VTC + 0x243c, VTC + 0x243c, VL + 0x156, K + 0x58])
    const n = dropDuplicatedFirstKernelEntry(chain, '6.1.0-47-cloud-amd64')
    const out = new FrameBuffer()
    unwindOrc(start(), captured().memory(), lookup(), out, { skipUntilSp: FB })
    expect(Array.from(chain.subarray(1, n))).toEqual(frames(out))
  })

  it('a skip mark that is never passed ends at the root with nothing emitted', () => {
    const out = new FrameBuffer()
    expect(unwindOrc(start(), captured().memory(), lookup(), out, { skipUntilSp: KS + 0xff0 })).toBe(WalkStatus.END_OF_STACK)
    expect(out.length).toBe(0)
    expect(out.skipped).toBe(5) // all five states, none above the mark
  })
})
