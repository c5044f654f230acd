/**
 * `perf-orc kernel --vmlinux` on the real vmlinux of Debian's 6.1 and 6.12 images (extracted from
 * the packages' bzImage by bench/kernel-modules.sh), with a KASLR slide. As in kernel.test.ts, a
 * synthetic stack is laid out from the image's own ORC entries: four entries "CALL sp:sp+N" at
 * ips E spread over .text (E+1 is then a return address whose lookup lands on E), chained
 * f1 → f2 → f3 → f4 → 0. The images are stripped and Debian's System.map is a one-line stub (the
 * real one is in the -dbg package), so the names come from a System.map written here.
 */
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { addrHex, parseAddrHex, type Addr } from '../parsers/common/addr.js'
import { ElfFile } from '../parsers/elf/elf-file.js'
import { readKernelOrc } from '../parsers/kernel-orc/kernel-orc.js'
import { OrcReg, OrcType } from '../unwind/orc/entry.js'
import { buildVmlinuxOrcTable } from '../unwind/orc/kernel-table.js'
import { loadKernelFixtures, type ChainFn } from '../unwind/orc/kernel-fixtures.test-util.js'
import { StackImage } from '../unwind/testdata/synthetic-stack.js'

const CLI = join(import.meta.dirname, '../dist/perf-orc.mjs')
const KASLR = 0x2a400000 // runtime = link + KASLR (a 2 MiB-aligned slide)
const KS = parseAddrHex('ffffc90000a40000') // a 16 KiB task stack
const S0 = KS + 0x3000 // regs.sp

/** Chain functions; in vmlinux at link addresses (runtime = link + KASLR). */
type Fn = ChainFn

/**
 * Four CALL sp:sp+N entries (N >= 16; bp undefined or saved at prevsp+K) with room after them,
 * one from each quarter of .text, each given a name starting 0x10 bytes before it.
 */
function chainFunctions(vmlinux: string): Fn[] {
  const elf = ElfFile.parse(new Uint8Array(readFileSync(vmlinux)), vmlinux)
  const text = elf.section('.text')!
  const table = buildVmlinuxOrcTable(readKernelOrc(elf))
  return [0, 1, 2, 3].map((q) => {
    const from = text.addr + Math.floor((text.size * q) / 4)
    for (let i = Math.max(table.find(from), 0); i + 1 < table.length; i++) {
      const e = table.ips[i]!
      const bpReg = table.bpReg(i)
      if (e + 1 >= table.ips[i + 1]! || table.type(i) !== OrcType.CALL || table.spReg(i) !== OrcReg.SP || table.spOffset[i]! < 16) continue
      if (bpReg !== OrcReg.UNDEFINED && bpReg !== OrcReg.PREV_SP) continue
      return { name: `f${q + 1}`, start: e - 0x10, ret: e + 1, spOffset: table.spOffset[i]!, bpReg, bpOffset: table.bpOffset[i]! }
    }
    throw new Error(`${vmlinux}: no usable CALL entry after ${addrHex(from)}`)
  })
}

/** Frames from S0 up: each return slot (CFA - 8) holds the next function's runtime return address. */
function stackFor(fns: Fn[]): StackImage {
  const stack = new StackImage(KS, 0x4000)
  let sp = S0
  fns.forEach((fn, k) => {
    const cfa = sp + fn.spOffset
    const next = fns[k + 1]
    stack.put(cfa - 8, next ? next.ret + KASLR : 0)
    if (fn.bpReg === OrcReg.PREV_SP) stack.put(cfa + fn.bpOffset, parseAddrHex('ffff888012345000'))
    sp = cfa
  })
  return stack
}

const hex = (a: Addr): string => '0x' + addrHex(a)

describe('perf-orc kernel --vmlinux on Debian vmlinux images', () => {
  const fx = loadKernelFixtures()
  const dir = mkdtempSync(join(tmpdir(), 'perf-orc-vmlinux-'))

  for (const [release, vmlinux] of [
    ['6.1', fx.vmlinux61],
    ['6.12', fx.vmlinux612],
  ] as const) {
    it(`${release}: regs.ip in f1, then f2, f3, f4 at their slid addresses, named by a System.map`, () => {
      const fns = chainFunctions(vmlinux)
      const stack = stackFor(fns)
      const systemMap = join(dir, `System.map-${release}`)
      writeFileSync(systemMap, fns.map((fn) => `${addrHex(fn.start)} T ${fn.name}\n`).join(''))
      const capture = join(dir, `read-${release}.jsonl`)
      writeFileSync(
        capture,
        JSON.stringify({
          regs: { ip: hex(fns[0]!.ret + KASLR), sp: hex(S0), bp: hex(parseAddrHex('ffff888012345000')), flags: '0x246', cs: '0x10' },
          stack_base: hex(S0),
          stack: Buffer.from(stack.bytes.subarray(S0 - KS)).toString('base64'),
        }) + '\n',
      )
      const args = ['kernel', capture, '--vmlinux', vmlinux, '--system-map', systemMap, '--kaslr-offset', KASLR.toString(16)]
      const r = spawnSync('node', [CLI, ...args], { encoding: 'utf8' })
      expect(r.status, r.stderr).toBe(0)
      const frames = r.stdout.split('\n').filter((l) => l.startsWith('\t')).map((l) => l.trim())
      expect(frames).toEqual(fns.map((fn) => `${addrHex(fn.ret + KASLR)} ${fn.name}+0x${(fn.ret - fn.start).toString(16)} ([kernel.kallsyms])`))
      expect(r.stderr).toMatch(/1 reached the end of the stack, 0 with unreliable frames/)

      // Without the slide every lookup misses the table: the walk guesses (frames marked "? ").
      const off = spawnSync('node', [CLI, 'kernel', capture, '--vmlinux', vmlinux, '--system-map', systemMap], { encoding: 'utf8' })
      expect(off.stdout).not.toContain('f2+')
    })
  }

  it('--system-map without --vmlinux is a usage error', () => {
    const r = spawnSync('node', [CLI, 'kernel', '-', '--system-map', join(dir, 'System.map-6.1')], { encoding: 'utf8', input: '' })
    expect(r.status).not.toBe(0)
    expect(r.stderr.trim().split('\n')).toHaveLength(1)
    expect(r.stderr).toMatch(/--system-map .*--vmlinux/)
  })
})
