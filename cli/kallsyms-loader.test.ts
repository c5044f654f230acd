/**
 * KallsymsLoader from the build (dist/, where the worker file sits next to the loader, as in the
 * bundle): the worker's scan, the synchronous fallback and a missing file give what a plain
 * synchronous load gives.
 */
import { writeFileSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import type { KallsymsLoader as Loader } from './kallsyms-loader.js'
import { loadKallsyms } from '../unwind/symbols/kallsyms.js'

const built = join(import.meta.dirname, '../dist/cli/kallsyms-loader.js')
const { KallsymsLoader } = (await import(built)) as { KallsymsLoader: typeof Loader }

const dir = mkdtempSync(join(tmpdir(), 'orc-kallsyms-'))
const file = join(dir, 'kallsyms')
writeFileSync(
  file,
  ['ffffffff81000000 T _text', 'ffffffff81001000 t helper', 'ffffffff81002000 T __x64_sys_read', 'ffffffffc0a01000 t kvm_vcpu_block\t[kvm]', 'ffffffffc0a02000 t kvm_exit\t[kvm]'].join('\n') + '\n',
)

function names(k: ReturnType<Loader['get']>): string[] {
  return k ? [...Array(k.table.length).keys()].map((i) => `${k.table.name(i)}${k.moduleOf(i) ? ` [${k.moduleOf(i)}]` : ''}`) : []
}

describe('KallsymsLoader', () => {
  const expected = names(loadKallsyms(file))

  it('scans in a worker thread and builds the same table', async () => {
    const l = new KallsymsLoader(file)
    await l.settle()
    expect(l.settled).toBe(true)
    const k = l.get()
    expect(l.source).toBe('worker')
    expect(names(k)).toEqual(expected)
    expect(expected).toContain('kvm_exit [kvm]')
    expect(k?.refSymbols.get('_text')).toBe(loadKallsyms(file)?.refSymbols.get('_text'))
    expect(l.get()).toBe(k) // built once
  })

  it('reads synchronously when asked before the worker answered', () => {
    const l = new KallsymsLoader(file)
    expect(names(l.get())).toEqual(expected)
    expect(l.source).toBe('file')
  })

  it('gives undefined for a file that cannot be read', async () => {
    const l = new KallsymsLoader(join(dir, 'missing'))
    await l.settle()
    expect(l.get()).toBeUndefined()
  })
})
