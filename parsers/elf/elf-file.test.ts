import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { ElfError } from '../common/errors.js'
import { ElfFile, STT_FUNC } from './elf-file.js'

const LIBC = '/usr/lib/x86_64-linux-gnu/libc.so.6'

describe('ElfFile on the system libc', () => {
  const bytes = readFileSync(LIBC)
  const elf = ElfFile.parse(bytes, LIBC)

  it('reads the same sections readelf lists', () => {
    const out = execFileSync('readelf', ['-W', '-S', LIBC], { encoding: 'utf8' })
    const names = [...out.matchAll(/^\s*\[\s*\d+\]\s+(\S+)/gm)].map((m) => m[1]).filter((n) => n !== 'NULL')
    expect(elf.sections.map((s) => s.name).filter(Boolean)).toEqual(names)
  })

  it('reads the build-id readelf reports', () => {
    const out = execFileSync('readelf', ['-n', LIBC], { encoding: 'utf8' })
    const id = /Build ID: ([0-9a-f]+)/.exec(out)?.[1]
    expect(id).toBeDefined()
    expect(elf.buildId).toBe(id)
  })

  it('finds dynamic function symbols with sizes', () => {
    const memcpy = elf.symbols('dynsym').find((s) => s.name.startsWith('memcpy') && s.type !== 0)
    expect(memcpy).toBeDefined()
    const fns = elf.symbols().filter((s) => s.type === STT_FUNC && s.size > 0)
    expect(fns.length).toBeGreaterThan(1000)
  })

  it('rejects damaged headers with an ElfError naming the offset', () => {
    const bad = new Uint8Array(bytes.subarray(0, 4096))
    expect(() => ElfFile.parse(bad, 'cut')).toThrow(ElfError)
    expect(() => ElfFile.parse(new Uint8Array(10), 'tiny')).toThrow(/not an ELF file at offset 0x0/)
    const huge = new Uint8Array(bytes.subarray(0, 64))
    new DataView(huge.buffer).setUint16(60, 0xffff, true)
    expect(() => ElfFile.parse(huge, 'huge')).toThrow(/table .* does not fit the file/)
  })

  it('reads no build-id, and does not run past the note, when its size field is damaged', () => {
    const note = elf.sections.find((s) => s.name === '.note.gnu.build-id')!
    // 0xfffffffd..0xffffffff once wrapped to 0 when rounded up with 32-bit arithmetic.
    for (const descsz of [0xfffffffd, 0xfffffffe, 0xffffffff, 0x10000]) {
      const damaged = new Uint8Array(bytes)
      new DataView(damaged.buffer).setUint32(note.offset + 4, descsz, true)
      expect(ElfFile.parse(damaged, 'damaged').buildId).toBeUndefined()
    }
  })
})
