/**
 * `perf-orc compare` on real dwarf recordings: on a program whose every function keeps a frame
 * pointer, the FP walk and the ORC unwind must agree; on -fomit-frame-pointer code (the shipped
 * nofpdemo recording) the FP walk must lose frames in most samples.
 */
import { execFileSync, spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'

const ROOT = join(import.meta.dirname, '..')
const CLI = join(ROOT, 'dist/perf-orc.mjs')

interface CompareJson {
  samples: number
  identical: number
  fpShorter: number
  orcShorter: number
  differ: number
  fpBreaks: { function: string; count: number }[]
}

function compare(args: string[]): CompareJson {
  const r = spawnSync('node', [CLI, 'compare', '--json', ...args], { encoding: 'utf8' })
  expect(r.status, r.stderr).toBe(0)
  return JSON.parse(r.stdout) as CompareJson
}

/**
 * No libc (Debian's has no frame pointers): _start zeroes rbp and marks the return address
 * undefined in its CFI, so both walks end at _start. -O0 because gcc 12 drops `push rbp` from
 * leaf functions at -O1 even with -mno-omit-leaf-frame-pointer.
 */
const FP_PROGRAM = `
__asm__(".text\\n.globl _start\\n.type _start,@function\\n_start:\\n.cfi_startproc\\n.cfi_undefined rip\\n"
        "xor %ebp,%ebp\\nand $-16,%rsp\\ncall main_c\\nmov $60,%eax\\nxor %edi,%edi\\nsyscall\\n.cfi_endproc\\n");
static volatile unsigned long sink;
__attribute__((noinline)) unsigned long spin(unsigned long n) { unsigned long s = 0; for (unsigned long i = 0; i < n; i++) s += i ^ (s >> 3); return s; }
__attribute__((noinline)) unsigned long rec(int d, unsigned long n) { if (d == 0) return spin(n); return rec(d - 1, n) + 1; }
__attribute__((noinline)) void main_c(void) { for (int k = 0; k < 600; k++) sink += rec(k % 20, 400000); }
`

describe('perf-orc compare', () => {
  it('FP walk and ORC agree on ≥95% of samples of a frame-pointer build', () => {
    const dir = mkdtempSync(join(tmpdir(), 'orc-compare-'))
    writeFileSync(join(dir, 'fp.c'), FP_PROGRAM)
    execFileSync('gcc', ['-O0', '-g', '-static', '-nostdlib', '-fno-omit-frame-pointer', '-fno-stack-protector', '-fcf-protection=none', '-o', 'fp', 'fp.c'], { cwd: dir })
    const data = join(dir, 'fp.data')
    execFileSync('perf', ['record', '-q', '-N', '-F', '1999', '--call-graph', 'dwarf', '-o', data, '--', join(dir, 'fp')], { stdio: 'ignore' })
    const r = compare([data])
    expect(r.samples).toBeGreaterThan(100)
    expect(r.identical / r.samples).toBeGreaterThanOrEqual(0.95)
  })

  it('shows the FP walk losing frames in most samples of an -fomit-frame-pointer build', () => {
    const r = compare([join(ROOT, 'fixtures/recordings/dwarf.data'), '--symfs', join(ROOT, 'fixtures/symfs')])
    expect(r.samples).toBeGreaterThan(100)
    expect((r.fpShorter + r.differ) / r.samples).toBeGreaterThan(0.5)
    expect(r.orcShorter).toBeLessThan(r.samples * 0.01)
    // The break sites name the frameless functions of the shipped program.
    expect(r.fpBreaks[0]?.function).toMatch(/^nofp_/)
  })

  it('writes a differential flamegraph', () => {
    const out = join(mkdtempSync(join(tmpdir(), 'orc-compare-')), 'diff.html')
    const r = spawnSync('node', [CLI, 'compare', join(ROOT, 'fixtures/recordings/dwarf.data'), '--symfs', join(ROOT, 'fixtures/symfs'), '-o', out], { encoding: 'utf8' })
    expect(r.status, r.stderr).toBe(0)
    const html = readFileSync(out, 'utf8')
    expect(html).toContain('lost by the FP walk')
    expect(html).toContain('nofp_mix')
  })

  it('refuses a recording without stack copies in one line', () => {
    // With --symfs the binaries are found, so no warning about them comes before the refusal.
    const r = spawnSync('node', [CLI, 'compare', join(ROOT, 'fixtures/recordings/fp.data'), '--symfs', join(ROOT, 'fixtures/symfs')], { encoding: 'utf8' })
    expect(r.status).toBe(1)
    expect(r.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^perf-orc: .*no samples with captured user stacks/)])
  })
})
