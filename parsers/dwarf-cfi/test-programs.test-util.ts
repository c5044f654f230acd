/**
 * Tiny C programs compiled with gcc into os.tmpdir() for the CFI/SFrame/ORC tests (test-only
 * helper; vitest does not collect it because it does not end in .test.ts). Each program is built
 * once per source+flags hash; concurrent test workers write to a temp name and rename, so a
 * reader never sees a half-written binary.
 */
import { execFileSync, spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const WORK = `
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
__attribute__((noinline)) int leaf(int n) { volatile char buf[100]; buf[n % 100] = (char)n; return buf[3] + n; }
__attribute__((noinline)) int mid(int n) { int s = 0; for (int i = 0; i < n; i++) s += leaf(i) * printf("%d\\n", i); return s; }
__attribute__((noinline)) long rec(long n) { return n <= 1 ? 1 : n * rec(n - 1) + mid((int)(n & 3)); }
int main(int argc, char **argv) { return (int)rec(argc + 3) + (int)strtol(argv[0], 0, 10); }
`

const BIG = `
#include <stdio.h>
#include <string.h>
__attribute__((noinline)) int big(int n) { char buf[40 * 1024]; memset(buf, n, sizeof buf); snprintf(buf, 64, "%d", n); return buf[n & 1023] + (int)strlen(buf); }
int main(int argc, char **argv) { (void)argv; return big(argc); }
`

/** GCC DRAP: -mstackrealign + an over-aligned local + alloca → CFA = r10 / *(rbp-N). */
const DRAP = `
#include <stdio.h>
#include <string.h>
#include <alloca.h>
__attribute__((noinline)) int many(int a,int b,int c,int d,int e,int f,int g,int h,int i) {
  char buf[100] __attribute__((aligned(64)));
  char *p = alloca(a * 16);
  memset(buf, a, sizeof buf); sprintf(p, "%d", g + h + i);
  return buf[b] + c + d + e + f + (int)strlen(p);
}
int main(int argc, char **argv) { (void)argv; return many(argc,1,2,3,4,5,6,7,8); }
`

export interface TinyPrograms {
  /** -O2 -fomit-frame-pointer */
  nofp: string
  /** -O0 -fno-omit-frame-pointer: CFA = rbp+16 bodies */
  fp: string
  /** -O2 -fno-asynchronous-unwind-tables -g: user code only in .debug_frame (crt code in .eh_frame) */
  debugFrameOnly: string
  /** a 40 KB local array: CFA offsets beyond s16 */
  bigFrame: string
  /** -fcf-protection=full */
  cfProtection: string
  /** DRAP stack realignment */
  drap: string
  /** -Wa,--gsframe: .sframe next to .eh_frame */
  sframe: string
}

let built: TinyPrograms | undefined

export function buildTinyPrograms(): TinyPrograms {
  if (built !== undefined) return built
  built = {
    nofp: build('nofp', WORK, ['-O2', '-fomit-frame-pointer']),
    fp: build('fp', WORK, ['-O0', '-fno-omit-frame-pointer']),
    debugFrameOnly: build('dbgframe', WORK, ['-O2', '-fomit-frame-pointer', '-fno-asynchronous-unwind-tables', '-g']),
    bigFrame: build('big', BIG, ['-O2', '-fomit-frame-pointer']),
    cfProtection: build('cfp', WORK, ['-O2', '-fomit-frame-pointer', '-fcf-protection=full']),
    drap: build('drap', DRAP, ['-O2', '-fomit-frame-pointer', '-mstackrealign']),
    sframe: build('sframe', WORK, ['-O2', '-fomit-frame-pointer', '-Wa,--gsframe']),
  }
  return built
}

function build(name: string, source: string, flags: string[]): string {
  const hash = createHash('sha1').update(source).update(flags.join(' ')).digest('hex').slice(0, 12)
  const dir = join(tmpdir(), 'perf-orc-cfi-tests')
  mkdirSync(dir, { recursive: true })
  const out = join(dir, `${name}-${hash}`)
  if (existsSync(out)) return out
  const unique = `${process.pid}-${Math.random().toString(36).slice(2)}`
  const src = join(dir, `${name}-${hash}-${unique}.c`)
  writeFileSync(src, source)
  const tmp = `${out}.${unique}.tmp`
  execFileSync('gcc', [...flags, '-o', tmp, src], { stdio: 'pipe' })
  renameSync(tmp, out)
  return out
}

/** `readelf -wF` output. readelf exits 1 on harmless warnings (e.g. a .debug_* it cannot decode): use stdout. */
export function readelfInterp(path: string): string {
  return spawnSync('readelf', ['-wF', path], { encoding: 'utf8', maxBuffer: 1 << 28 }).stdout
}

/**
 * readelf -wF prints one table per FDE:
 *
 *   0000006c 0000000000000020 00000070 FDE cie=00000000 pc=00000000000270e0..0000000000027143
 *      LOC           CFA      rbx   ra
 *   00000000000270e0 rsp+8    u     c-8
 *   00000000000270e1 rsp+16   c-16  c-8
 */
export interface ReadelfFde {
  pcBegin: number
  pcEnd: number
  locs: number[]
  cfa: string[]
  rbp: string[]
  ra: string[]
}

/** Parse readelf -wF output for one section kind into FDE tables. */
export function parseReadelfInterp(text: string, section: string): ReadelfFde[] {
  const out: ReadelfFde[] = []
  let inSection = false
  let cur: ReadelfFde | undefined
  let cols: string[] = []
  for (const line of text.split('\n')) {
    if (line.startsWith('Contents of the ')) inSection = line.startsWith(`Contents of the ${section} section`)
    if (!inSection) continue
    const fde = /FDE cie=\w+ pc=([0-9a-f]+)\.\.([0-9a-f]+)/.exec(line)
    if (fde) {
      cur = { pcBegin: parseInt(fde[1]!, 16), pcEnd: parseInt(fde[2]!, 16), locs: [], cfa: [], rbp: [], ra: [] }
      out.push(cur)
      cols = []
      continue
    }
    if (/ CIE /.test(line)) cur = undefined
    if (line.startsWith('   LOC')) {
      cols = line.trim().split(/\s+/)
      continue
    }
    const row = /^([0-9a-f]{16}) (.*)$/.exec(line)
    if (!row || cur === undefined) continue
    // Cells are "u", "c-8", "exp", or "r9 (r9)" (two tokens): re-join register cells first.
    const cells = row[2]!.trim().replace(/(r\d+) \(\w+\)/g, '$1').split(/\s+/)
    const get = (name: string): string => (cols.indexOf(name) > 0 ? cells[cols.indexOf(name) - 1]! : 'u')
    cur.locs.push(parseInt(row[1]!, 16))
    cur.cfa.push(cells[0]!)
    cur.rbp.push(get('rbp'))
    cur.ra.push(get('ra'))
  }
  return out
}

