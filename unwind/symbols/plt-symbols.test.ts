/**
 * PLT stub names against objdump's, on programs gcc builds here: objdump labels each stub of a
 * dynamically linked program `<name@plt>`, as perf's synthesized symbols name them. A static
 * program's .plt holds ifunc (IRELATIVE) slots of 8 bytes, not 16-byte stubs behind a header, and
 * perf synthesizes nothing there (it needs .dynsym).
 */
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { ElfFile } from '../../parsers/elf/elf-file.js'
import { pltSymbols } from './plt-symbols.js'

const PROGRAM = `
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
int main(int argc, char **argv) {
  char *p = malloc(64);
  strcpy(p, argv[0]);
  printf("%zu\\n", strlen(p) + (argc > 1 ? strlen(argv[1]) : 0));
  free(p);
  return 0;
}
`
const dir = mkdtempSync(join(tmpdir(), 'orc-plt-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

function build(name: string, flags: string[]): string {
  writeFileSync(join(dir, 'p.c'), PROGRAM)
  execFileSync('gcc', ['-O1', '-fno-builtin', ...flags, '-o', name, 'p.c'], { cwd: dir })
  return join(dir, name)
}

/** objdump's `<name@plt>` labels in .plt (and .plt.sec, where IBT builds put the stubs). */
function objdumpStubs(path: string): { start: number; name: string }[] {
  const out = execFileSync('objdump', ['-d', '--section=.plt', '--section=.plt.sec', path], { encoding: 'utf8' })
  return [...out.matchAll(/^([0-9a-f]+) <([^>+]+@plt)>:$/gm)].map((m) => ({ start: parseInt(m[1]!, 16), name: m[2]! }))
}

describe('pltSymbols', () => {
  it.each([
    ['lazy binding', []],
    ['-z now', ['-Wl,-z,now']],
    ['IBT (.plt.sec)', ['-fcf-protection=full', '-Wl,-z,ibtplt']],
  ])('names the stubs of a dynamically linked program as objdump labels them (%s)', (_what, flags) => {
    const path = build('dyn', flags)
    const want = objdumpStubs(path)
    expect(want.map((s) => s.name)).toEqual(expect.arrayContaining(['malloc@plt', 'strlen@plt', 'free@plt']))
    const got = pltSymbols(ElfFile.open(path)).map((s) => ({ start: s.start, name: s.name }))
    expect(got).toEqual(want)
  })

  it('synthesizes nothing in a static program, whose .plt holds ifunc slots', () => {
    const path = build('static', ['-static'])
    const elf = ElfFile.open(path)
    expect(elf.section('.plt')?.size).toBeGreaterThan(0)
    expect(elf.section('.rela.plt')?.size).toBeGreaterThan(0)
    expect(pltSymbols(elf)).toEqual([])
  })
})
