import { Readable } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { PerfOrcError } from '../common/errors.js'
import {
  KernelCaptureError,
  parseCaptureAddr,
  parseKernelCaptureLine,
  parseKernelCaptureText,
  readKernelCaptures,
  type KernelCapture,
} from './capture.js'

const stackBytes = Uint8Array.from({ length: 32 }, (_, i) => i)
const b64 = Buffer.from(stackBytes).toString('base64')

function line(extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    regs: { ip: '0xffffffff81234567', sp: '0xffffc90000123f00', bp: '0x0', flags: '0x0', cs: '0x10' },
    stack_base: '0xffffc90000123f00',
    stack: b64,
    ...extra,
  })
}

async function collect(it: AsyncIterable<KernelCapture>): Promise<KernelCapture[]> {
  const out: KernelCapture[] = []
  for await (const c of it) out.push(c)
  return out
}

describe('parseKernelCaptureLine', () => {
  it('decodes registers as signed-interpretation addresses and the stack bytes', () => {
    const c = parseKernelCaptureLine(
      line({ comm: 'kworker/0:1', pid: 42, modules: [{ name: 'kvm', text: '0xffffffffc0a00000', '.init.text': '0xffffffffc0b00000', path: '/lib/kvm.ko' }] }),
      1,
    )
    expect(c.regs.ip).toBe(-0x7edcba99) // 0xffffffff81234567
    expect(c.regs.sp).toBe(Number(BigInt.asIntN(64, 0xffffc90000123f00n)))
    expect(c.regs.cs).toBe(0x10)
    expect(c.regs.flags).toBe(0)
    expect(c.regs.r10).toBeUndefined()
    expect(c.stack.base).toBe(c.regs.sp)
    expect(Array.from(c.stack.bytes)).toEqual(Array.from(stackBytes))
    expect([c.comm, c.pid, c.line]).toEqual(['kworker/0:1', 42, 1])
    expect(c.modules[0]!.name).toBe('kvm')
    expect(c.modules[0]!.path).toBe('/lib/kvm.ko')
    expect([...c.modules[0]!.sections]).toEqual([
      ['.text', -0x3f600000],
      ['.init.text', -0x3f500000],
    ])
  })

  it('takes extra stacks and a "sections" object', () => {
    const c = parseKernelCaptureLine(
      line({ stacks: [{ base: '0xfffffe0000010000', data: b64 }], modules: [{ name: 'xfs', sections: { '.text': '0xffffffffc1000000' } }] }),
      3,
    )
    expect(c.extraStacks).toHaveLength(1)
    expect(c.extraStacks[0]!.bytes.length).toBe(32)
    expect(c.modules[0]!.sections.get('.text')).toBe(-0x3f000000)
  })

  it('addresses: hex, decimal strings, safe JSON numbers; nothing inexact', () => {
    expect(parseCaptureAddr('0xffffffffffffffff', 'x', 1)).toBe(-1)
    expect(parseCaptureAddr('4096', 'x', 1)).toBe(4096)
    expect(parseCaptureAddr(4096, 'x', 1)).toBe(4096)
    expect(() => parseCaptureAddr(18446744071562067968, 'x', 1)).toThrow(/cannot be exact/)
    expect(() => parseCaptureAddr('0x1ffffffffffffffff', 'x', 1)).toThrow(KernelCaptureError)
    expect(() => parseCaptureAddr('ffff', 'x', 1)).toThrow(/hex string/)
  })

  it.each([
    ['{"regs": {"ip": "0x1"}, "stack_base": "0x0", "stack": ""}', /ip and sp/],
    ['{"regs": {"ip": "0x1", "sp": "0x2", "rip": "0x1"}, "stack_base": "0x0", "stack": ""}', /regs\.rip is not an x86-64 pt_regs name/],
    ['{"regs": {"ip": "0x1", "sp": "0x2"}, "stack": ""}', /stack_base and stack are required/],
    ['{"regs": {"ip": "0x1", "sp": "0x2"}, "stack_base": "0x0", "stack": "!!!!"}', /not base64/],
    ['{"regs": {"ip": "0x1", "sp": "0x2"}, "stack_base": "0x0", "stack": "", "pid": "7"}', /pid should be an integer/],
    ['{"regs": {"ip": "0x1", "sp": "0x2"}, "stack_base": "0x0", "stack": "", "oops": 1}', /unknown key "oops"/],
    ['{"regs": {"ip": "0x1", "sp": "0x2"}, "stack_base": "0x0", "stack": "", "modules": {}}', /modules should be an array/],
    ['[1, 2]', /the line should be a JSON object/],
    ['{"regs": {"ip": "0x1", "sp"', /not valid JSON/],
  ])('rejects %s', (text, msg) => {
    let err: unknown
    try {
      parseKernelCaptureLine(text, 7)
    } catch (e) {
      err = e
    }
    expect(err).toBeInstanceOf(KernelCaptureError)
    expect(err).toBeInstanceOf(PerfOrcError)
    expect((err as KernelCaptureError).line).toBe(7)
    expect((err as Error).message).toMatch(/^capture line 7: /)
    expect((err as Error).message).toMatch(msg)
  })
})

describe('streams', () => {
  const good = [line({ pid: 1 }), '', line({ pid: 2 }), line({ pid: 3 })].join('\n')

  it('yields one capture per non-blank line, with line numbers, from any chunking', async () => {
    const whole = await collect(readKernelCaptures(Readable.from([good])))
    expect(whole.map((c) => [c.pid, c.line])).toEqual([
      [1, 1],
      [2, 3],
      [3, 4],
    ])
    const bytes = Buffer.from(good)
    const oneByte = await collect(readKernelCaptures(Readable.from(Array.from(bytes, (b) => Buffer.from([b])))))
    expect(oneByte.map((c) => c.pid)).toEqual([1, 2, 3])
    expect([...parseKernelCaptureText(good.replace(/\n/g, '\r\n'))].map((c) => c.pid)).toEqual([1, 2, 3])
  })

  it('a cut-off last line: earlier captures are delivered, then the error names the line', async () => {
    const cut = good + '\n' + line({ pid: 4 }).slice(0, 50)
    const got: number[] = []
    let err: unknown
    try {
      for await (const c of readKernelCaptures(Readable.from([cut]))) got.push(c.pid!)
    } catch (e) {
      err = e
    }
    expect(got).toEqual([1, 2, 3])
    expect(err).toBeInstanceOf(KernelCaptureError)
    expect((err as KernelCaptureError).line).toBe(5)
  })

  it('onBadLine skips and reports instead of stopping', () => {
    const bad: number[] = []
    const text = [line({ pid: 1 }), 'garbage', line({ pid: 3 })].join('\n')
    const pids = [...parseKernelCaptureText(text, { onBadLine: (e) => bad.push(e.line) })].map((c) => c.pid)
    expect(pids).toEqual([1, 3])
    expect(bad).toEqual([2])
  })
})
