import { describe, expect, it } from 'vitest'
import { parseAddrHex } from '../../parsers/common/addr.js'
import { parseKallsyms } from './kallsyms.js'
import { KERNEL_ORDERED_LINES } from './testdata/kallsyms-lines.js'

const TEXT = [
  ...KERNEL_ORDERED_LINES,
  'ffffffffc0a01000 t kvm_vcpu_block\t[kvm]',
  'ffffffff81003000 W weak_fn', // out of order: sorted on load
  '0000000000000000 T hidden_by_kptr_restrict',
  'garbage line',
].join('\n')

describe('parseKallsyms', () => {
  const k = parseKallsyms(TEXT)
  const name = (hex: string): string | undefined => {
    const i = k.table.find(parseAddrHex(hex))
    return i < 0 ? undefined : k.table.name(i)
  }

  it('keeps text symbols only, sorted, and drops zeroed addresses', () => {
    expect(name('ffffffff81001010')).toBe('helper')
    expect(name('ffffffff81002000')).toBe('helper') // data symbols do not end code symbols
    expect(name('ffffffff81003004')).toBe('weak_fn')
    expect(k.table.length).toBe(5)
  })

  it('picks the alias perf picks: the last listed at an address', () => {
    expect(name('ffffffff812fc970')).toBe('__x64_sys_rt_sigreturn')
    expect(name('ffffffff81000010')).toBe('_text')
  })

  it('names module symbols and keeps the relocation reference symbols', () => {
    const i = k.table.find(parseAddrHex('ffffffffc0a01004'))
    expect(k.table.name(i)).toBe('kvm_vcpu_block')
    expect(k.moduleOf(i)).toBe('kvm')
    expect(k.moduleOf(k.table.find(parseAddrHex('ffffffff81001000')))).toBe('')
    expect(k.refSymbols.get('_text')).toBe(parseAddrHex('ffffffff81000000'))
    expect(k.refSymbols.get('_stext')).toBe(parseAddrHex('ffffffff81000000'))
  })
})
