/**
 * SortedKallsyms against parseKallsyms over the same text: the kernel's own /proc/kallsyms (with
 * module lines appended where the machine has none), and small texts for the edge cases. Every
 * lookup must give the same symbol (name, start, module) or none, and the same reference symbols.
 */
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { parseAddrHex } from '../../parsers/common/addr.js'
import { parseKallsyms, type Kallsyms } from './kallsyms.js'
import { SortedKallsyms } from './sorted-kallsyms.js'
import { KERNEL_ORDERED_LINES } from './testdata/kallsyms-lines.js'

/** What a lookup says: "name+start [module]" or "-". */
function answer(k: Kallsyms, addr: number): string {
  const i = k.find(addr)
  return i < 0 ? '-' : `${k.name(i)}@${k.start(i)}[${k.moduleOf(i)}]`
}

function expectSameAnswers(text: string, probes: number[]): void {
  const b = Buffer.from(text)
  const eager = parseKallsyms(b)
  const sorted = SortedKallsyms.over(b)
  expect(sorted).toBeDefined()
  const differ = probes.filter((a) => answer(sorted!, a) !== answer(eager, a))
  expect(differ.slice(0, 3).map((a) => `${a.toString(16)}: ${answer(sorted!, a)} vs ${answer(eager, a)}`)).toEqual([])
  expect(Object.fromEntries(sorted!.refSymbols)).toEqual(Object.fromEntries(eager.refSymbols))
}

/** Around every symbol start of the eager table: before it, at it, just after, and at its end. */
function probesAround(text: string): number[] {
  const t = parseKallsyms(Buffer.from(text)).table
  const out: number[] = []
  for (const [i] of t.entries()) {
    const s = t.starts[i]!
    out.push(s - 1, s, s + 1, t.end(i) - 1, t.end(i), t.end(i) + 4096)
  }
  return out
}

describe('SortedKallsyms', () => {
  const proc = readFileSync('/proc/kallsyms', 'utf8')

  it('answers as parseKallsyms does on this kernel\'s /proc/kallsyms', () => {
    expect(proc.split('\n').length).toBeGreaterThan(10_000)
    expectSameAnswers(proc, probesAround(proc))
  })

  it('answers as parseKallsyms does with module lines (in no order) after the core ones', () => {
    const modules = [
      'ffffffffc0a03000 t kvm_arch_vcpu_ioctl\t[kvm]',
      'ffffffffc0a01000 T kvm_vcpu_block\t[kvm]',
      'ffffffffc0a01000 t kvm_vcpu_block_alias\t[kvm]',
      'ffffffffc0b00000 d kvm_data\t[kvm]',
      'ffffffffc0c00040 T nf_hook\t[nf_tables]',
      'ffffffffc0c00000 t _text\t[nf_tables]',
    ].join('\n')
    const text = `${proc.trimEnd()}\n${modules}\n`
    expectSameAnswers(text, [...probesAround(text), parseAddrHex('ffffffffc0000000'), parseAddrHex('ffffffffc0a02fff')])
  })

  it('keeps perf\'s rules at the edges: data lines, aliases, the final run, no trailing newline', () => {
    const text = [
      ...KERNEL_ORDERED_LINES,
      'ffffffff81400000 r rodata_thing',
      'ffffffff81500000 w __last_weak',
      'ffffffff81500000 T last_global',
      'ffffffff81500000 t _last_local',
    ].join('\n')
    expectSameAnswers(text, probesAround(text))
    const k = SortedKallsyms.over(Buffer.from(text))!
    expect(answer(k, parseAddrHex('ffffffff812fc971'))).toMatch(/^__x64_sys_rt_sigreturn@/) // the last listed
    expect(answer(k, parseAddrHex('ffffffff81500010'))).toMatch(/^last_global@/) // the global of the final run
  })

  it('declines what the kernel would not print: zeroed addresses, module symbols below the core', () => {
    expect(SortedKallsyms.over(Buffer.from('0000000000000000 T a\n0000000000000000 T b\n'))).toBeUndefined()
    expect(SortedKallsyms.over(Buffer.from('ffffffff81000000 T a\nffffffff80000000 t m\t[mod]\n'))).toBeUndefined()
  })
})
