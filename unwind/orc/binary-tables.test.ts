import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { ElfFile } from '../../parsers/elf/elf-file.js'
import { compileBinaryTable } from './binary-tables.js'
import { orcDumpLines } from './dump.js'

const LIBC = '/usr/lib/x86_64-linux-gnu/libc.so.6'

describe('smoke', () => {
  it('libc', () => {
    const elf = ElfFile.parse(readFileSync(LIBC), LIBC)
    const t0 = performance.now()
    let r = compileBinaryTable(elf)
    const t1 = performance.now()
    for (let i = 0; i < 5; i++) r = compileBinaryTable(elf)
    const t2 = performance.now()
    console.log('first', t1 - t0, 'warm avg', (t2 - t1) / 5)
    const nz = Object.fromEntries(Object.entries(r.stats).filter(([, v]) => v !== 0))
    console.log(nz, r.sources)
    const lines = [...orcDumpLines(r.table)]
    console.log(lines.slice(0, 30).join('\n'))
    console.log(lines.filter((l) => l.startsWith('3c0')).join('\n'))
    expect(r.table.length).toBeGreaterThan(1000)
  })
})
