/**
 * `perf-orc kernel` through the built CLI, on synthetic captures laid out from REAL module ORC
 * data: kvm.ko of Debian's 6.1 kernel (bench/kernel-modules.sh; fails rather than skips without it),
 * its .text placed at 0xffffffffc0a00000.
 *
 * From four kvm functions we take, in each, the body's entry "CALL sp:sp+N" (the largest N, bp
 * undefined or prevsp-K) at some ip E; E+1 is then a return address whose lookup (at E+1 - 1)
 * lands on that entry. The stack is laid out so the walk can only go f1 → f2 → f3 → f4 → end:
 *
 *      higher addresses (stack top, the copy runs up to KS + 0x4000)
 *      ┌──────────────────────────┐
 *      │ 0                        │ ← CFA4 - 8    f4's return address: 0 ends the walk
 *      │ ... f4's N4 - 8 bytes    │
 *      ├──────────────────────────┤ ← CFA3 = sp in f4
 *      │ f4.ret                   │ ← CFA3 - 8    return into f4
 *      │ ... (bp slot CFA3 + K3)  │
 *      ├──────────────────────────┤ ← CFA2 = sp in f3
 *      │ f3.ret                   │ ← CFA2 - 8
 *      ├──────────────────────────┤ ← CFA1 = sp in f2
 *      │ f2.ret                   │ ← CFA1 - 8    (= fake regs' ip)
 *      │ (saved rbp in an rbp     │ ← CFA1 - 16   (= fake regs' sp: what __builtin_frame_address(0)
 *      │  frame)                  │                 gives in f1 when it keeps a frame pointer)
 *      │ ... f1's locals          │
 *      └──────────────────────────┘ ← S0 = regs.sp (hw regs: ip = f1.ret, in f1)
 *      lower addresses
 *
 * The BPF case replaces f2 by an address no table covers (as a JIT-ed BPF program): there the
 * walk guesses with the frame pointer, so the frames *after* it print with "? ":
 *
 *      │ f3.ret                   │ ← XBP + 8
 *      │ (next rbp, unused)       │ ← XBP         the BPF program's rbp; f1 restores it (prevsp-K1
 *      │ BPF locals               │                 slot, or regs.bp when f1 leaves bp alone)
 *      ├──────────────────────────┤ ← CFA1 = sp in the BPF program
 */
import { execFileSync, spawnSync } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { addrHex, parseAddrHex, type Addr } from '../parsers/common/addr.js'
import { ElfFile, STT_FUNC } from '../parsers/elf/elf-file.js'
import { readKernelOrc } from '../parsers/kernel-orc/kernel-orc.js'
import { OrcReg, OrcType } from '../unwind/orc/entry.js'
import { buildModuleOrcTable } from '../unwind/orc/kernel-table.js'
import { byName, listModules, loadKernelFixtures, type ChainFn } from '../unwind/orc/kernel-fixtures.test-util.js'
import { StackImage } from '../unwind/testdata/synthetic-stack.js'

const CLI = join(import.meta.dirname, '../dist/perf-orc.mjs')
const TEXT = parseAddrHex('ffffffffc0a00000') // kvm's .text
const KS = parseAddrHex('ffffc90000a40000') // a 16 KiB task stack [KS, KS + 0x4000)
const S0 = KS + 0x3000 // regs.sp
const BPF = parseAddrHex('ffffffffc1f0005e') // inside no placed section
const CHAIN = ['kvm_vcpu_block', 'kvm_vcpu_halt', 'kvm_emulate_halt', 'kvm_vcpu_ioctl'] // f1..f4

type Fn = ChainFn

function kvmFunctions(ko: string): Fn[] {
  const elf = ElfFile.parse(readFileSync(ko), ko)
  const text = elf.section('.text')!
  const { table } = buildModuleOrcTable(readKernelOrc(elf), new Map([['.text', TEXT]]))
  return CHAIN.map((name) => {
    const sym = elf.symbols('symtab').find((s) => s.name === name && s.type === STT_FUNC && s.shndx === text.index)
    if (!sym) throw new Error(`${ko}: no function ${name}`)
    const lo = TEXT + sym.value
    const hi = lo + sym.size
    let best: Fn | undefined
    for (let i = Math.max(table.find(lo), 0); i < table.length && table.ips[i]! < hi; i++) {
      const e = table.ips[i]!
      const next = Math.min(i + 1 < table.length ? table.ips[i + 1]! : hi, hi)
      const bpReg = table.bpReg(i)
      if (e < lo || e + 1 >= next || table.type(i) !== OrcType.CALL || table.spReg(i) !== OrcReg.SP) continue
      if (bpReg !== OrcReg.UNDEFINED && bpReg !== OrcReg.PREV_SP) continue
      if (best && table.spOffset[i]! <= best.spOffset) continue
      best = { name, start: lo, ret: e + 1, spOffset: table.spOffset[i]!, bpReg, bpOffset: table.bpOffset[i]! }
    }
    if (!best || best.spOffset < 16) throw new Error(`${name}: no CALL sp:sp+N entry in its body`)
    expect(table.ips[table.find(best.ret - 1)]).toBe(best.ret - 1) // the lookup at ret - 1 finds E
    return best
  })
}

type Layout = { kind: 'orc'; fn: Fn } | { kind: 'fp'; ip: Addr }

/**
 * Write the frames (leaf first) from S0 up. Each ORC frame's return slot (CFA - 8) holds the next
 * frame's address (0 after the last). A 'fp' frame needs the bp register to point at its frame
 * when the walk reaches it: written into the last ORC frame's prevsp+K slot, else into regs.bp.
 */
function layout(frames: Layout[]): { stack: StackImage; regsBp: Addr; cfas: Addr[] } {
  const stack = new StackImage(KS, 0x4000)
  let sp = S0
  let bpSlot: Addr | undefined // where the bp value for the next frame comes from
  let regsBp: Addr = parseAddrHex('ffff888012345000') // a GPR-looking value
  const cfas: Addr[] = []
  const nextAddr = (k: number): Addr => {
    const n = frames[k + 1]
    return n === undefined ? 0 : n.kind === 'orc' ? n.fn.ret : n.ip
  }
  frames.forEach((f, k) => {
    if (f.kind === 'orc') {
      const cfa = sp + f.fn.spOffset
      stack.put(cfa - 8, nextAddr(k))
      if (f.fn.bpReg === OrcReg.PREV_SP) {
        bpSlot = cfa + f.fn.bpOffset
        stack.put(bpSlot, parseAddrHex('ffff888012345000') + k * 0x100)
      }
      cfas.push(cfa)
      sp = cfa
    } else {
      const xbp = sp + 24 // some locals, then push %rbp
      if (bpSlot !== undefined) stack.put(bpSlot, xbp)
      else regsBp = xbp
      stack.put(xbp, 0).put(xbp + 8, nextAddr(k))
      cfas.push(xbp + 16)
      sp = xbp + 16
    }
  })
  return { stack, regsBp, cfas }
}

const hex = (a: Addr): string => '0x' + addrHex(a)

interface CaptureOpts {
  ip: Addr
  sp: Addr
  bp: Addr
  flags: number
  stack: StackImage
  /** End of the copy (default: the stack top); it always starts at S0 = regs.sp. */
  copyTo?: Addr
  path?: string
}

function captureLine(o: CaptureOpts): string {
  const to = o.copyTo ?? o.stack.end
  const bytes = o.stack.bytes.subarray(S0 - KS, to - KS)
  const kvm: Record<string, string> = { name: 'kvm', '.text': hex(TEXT) }
  if (o.path !== undefined) kvm['path'] = o.path
  return JSON.stringify({
    regs: { ip: hex(o.ip), sp: hex(o.sp), bp: hex(o.bp), flags: hex(o.flags), cs: '0x10' },
    stack_base: hex(S0),
    stack: Buffer.from(bytes).toString('base64'),
    comm: 'qemu-kvm',
    pid: 4242,
    tid: 4243,
    cpu: 3,
    time: 1234567890123,
    modules: [kvm],
  })
}

interface Frame {
  addr: Addr
  unreliable: boolean
  sym: string
  dso: string
}
interface Capture {
  header: string
  frames: Frame[]
}

/** Stdout back into captures: a header line, "\t<hex> [? ]sym+0xoff (dso)" lines, a blank line. */
function parseOutput(out: string): Capture[] {
  const caps: Capture[] = []
  for (const block of out.split('\n\n').filter((b) => b.trim() !== '')) {
    const [header, ...lines] = block.replace(/^\n+/, '').split('\n')
    caps.push({
      header: header!,
      frames: lines.map((l) => {
        const m = /^\t *([0-9a-f]+) (\? )?(\S+) \((.*)\)$/.exec(l)
        if (!m) throw new Error(`not a frame line: ${JSON.stringify(l)}`)
        return { addr: parseAddrHex(m[1]!), unreliable: m[2] !== undefined, sym: m[3]!, dso: m[4]! }
      }),
    })
  }
  return caps
}

function run(args: string[], input?: string): { out: string; err: string; status: number | null } {
  const r = spawnSync('node', [CLI, 'kernel', ...args], { encoding: 'utf8', input, maxBuffer: 1 << 26 })
  return { out: r.stdout, err: r.stderr, status: r.status }
}

/** The frame's function name, without +0xoff. */
const fnName = (f: Frame): string => f.sym.replace(/\+0x[0-9a-f]+$/, '')
/** "name+0xoff" for an address in a chain function. */
const symOf = (fn: Fn, addr: Addr): string => `${fn.name}+0x${(addr - fn.start).toString(16)}`

describe('perf-orc kernel on captures laid out from kvm.ko (6.1) ORC data', () => {
  const fx = loadKernelFixtures()
  const ko = byName(listModules(fx.modules61, '.ko'), ['kvm.ko'])[0]
  if (ko === undefined) throw new Error(`no kvm.ko under ${fx.modules61}`)
  const fns = kvmFunctions(ko)
  const [f1, f2, f3, f4] = fns as [Fn, Fn, Fn, Fn]
  const dir = mkdtempSync(join(tmpdir(), 'perf-orc-kernel-'))
  const file = (name: string, lines: string[]): string => {
    const p = join(dir, name)
    writeFileSync(p, lines.join('\n') + '\n')
    return p
  }

  const chain = layout(fns.map((fn) => ({ kind: 'orc', fn })))
  const hw = (o: Partial<CaptureOpts> = {}): string =>
    captureLine({ ip: f1.ret, sp: S0, bp: chain.regsBp, flags: 0x246, stack: chain.stack, path: ko, ...o })
  /** perf_arch_fetch_caller_regs() in f1: ip = its return address (into f2), sp = its frame address. */
  const fake = (o: Partial<CaptureOpts> = {}): string =>
    captureLine({ ip: f2.ret, sp: chain.cfas[0]! - 16, bp: 0, flags: 0, stack: chain.stack, path: ko, ...o })

  it('hardware regs: regs.ip in f1, then f2, f3, f4, and the 0 return address ends the walk', () => {
    const r = run([file('hw.jsonl', [hw()])])
    expect(r.status, r.err).toBe(0)
    const [c] = parseOutput(r.out)
    expect(c!.header).toBe('qemu-kvm 4242/4243 [003] 1234.567890: capture line 1 (hw regs)')
    expect(c!.frames.map((f) => f.sym)).toEqual(fns.map((fn) => symOf(fn, fn.ret)))
    expect(c!.frames.map((f) => f.addr)).toEqual(fns.map((fn) => fn.ret))
    expect(c!.frames.every((f) => f.dso === '[kvm]' && !f.unreliable)).toBe(true)
    expect(r.err).toBe(
      'perf-orc: 1 captures: 0 with fake regs, 1 reached the end of the stack, 0 with unreliable frames, ' +
        '0 cut short by the stack copy, 0 stopped with an error\n',
    )
  })

  it('fake regs: regs.ip (f2) once, then its callers; f1 is skipped (skip-SP)', () => {
    const r = run([file('fake.jsonl', [fake()])])
    expect(r.status, r.err).toBe(0)
    const [c] = parseOutput(r.out)
    expect(c!.header).toMatch(/: capture line 1 \(fake regs\)$/)
    expect(c!.frames.map(fnName)).toEqual([f2.name, f3.name, f4.name])
    expect(c!.frames.filter((f) => f.addr === f2.ret)).toHaveLength(1)
    expect(c!.frames[0]!.addr).toBe(f2.ret)
    expect(r.err).toMatch(/1 with fake regs, 1 reached the end of the stack/)
  })

  it('finds the module by name under --modules DIR (no path in the capture), reading stdin', () => {
    const r = run(['-', '--modules', fx.modules61], hw({ path: undefined }) + '\n')
    expect(r.status, r.err).toBe(0)
    expect(parseOutput(r.out)[0]!.frames.map(fnName)).toEqual(CHAIN)
  })

  it('finds and decompresses the module as distributions ship it (kvm.ko.xz, .ko.zst, .ko.gz)', () => {
    for (const [ext, tool] of [
      ['xz', ['xz', '-k']],
      ['zst', ['zstd', '-q']],
      ['gz', ['gzip', '-k']],
    ] as const) {
      const modules = mkdtempSync(join(tmpdir(), `perf-orc-kmod-${ext}-`))
      const copy = join(modules, 'kvm.ko')
      writeFileSync(copy, readFileSync(ko))
      execFileSync(tool[0], [...tool.slice(1), copy])
      rmSync(copy)
      expect(readdirSync(modules)).toEqual([`kvm.ko.${ext}`])
      const r = run(['-', '--modules', modules], hw({ path: undefined }) + '\n')
      expect(r.status, r.err).toBe(0)
      expect(parseOutput(r.out)[0]!.frames.map(fnName), ext).toEqual(CHAIN)
      expect(r.err, ext).not.toMatch(/warning/)
    }
  })

  it('without the .ko: one warning, regs.ip printed, and the frame-pointer guess stops at a non-stack rbp', () => {
    const r = run(['-'], hw({ path: undefined }) + '\n')
    expect(r.status, r.err).toBe(0)
    expect(r.err).toMatch(/^perf-orc: warning: module kvm: no \.ko found/)
    expect(r.err).toMatch(/1 stopped with an error \(bad-read 1\)\n$/)
    const [c] = parseOutput(r.out)
    expect(c!.frames).toEqual([{ addr: f1.ret, unreliable: false, sym: '[unknown]', dso: '[unknown]' }])
  })

  it('an address without a table (a BPF program) is followed by "? " frames from the FP guess', () => {
    const bpf = layout([{ kind: 'orc', fn: f1 }, { kind: 'fp', ip: BPF }, { kind: 'orc', fn: f3 }, { kind: 'orc', fn: f4 }])
    const r = run([file('bpf.jsonl', [captureLine({ ip: f1.ret, sp: S0, bp: bpf.regsBp, flags: 0x246, stack: bpf.stack, path: ko })])])
    expect(r.status, r.err).toBe(0)
    const [c] = parseOutput(r.out)
    expect(c!.frames).toEqual([
      { addr: f1.ret, unreliable: false, sym: symOf(f1, f1.ret), dso: '[kvm]' },
      { addr: BPF, unreliable: false, sym: '[unknown]', dso: '[unknown]' },
      { addr: f3.ret, unreliable: true, sym: symOf(f3, f3.ret), dso: '[kvm]' },
      { addr: f4.ret, unreliable: true, sym: symOf(f4, f4.ret), dso: '[kvm]' },
    ])
    expect(r.err).toMatch(/1 reached the end of the stack, 1 with unreliable frames/)
  })

  it('a stack copy cut short ends cleanly with the frames it holds', () => {
    // The copy ends just below f3's return slot (CFA3 - 8): f1, f2, f3 are printed.
    const r = run([file('cut.jsonl', [hw({ copyTo: chain.cfas[2]! - 8 })])])
    expect(r.status, r.err).toBe(0)
    expect(parseOutput(r.out)[0]!.frames.map(fnName)).toEqual([f1.name, f2.name, f3.name])
    expect(r.err).toMatch(/0 reached the end of the stack, 0 with unreliable frames, 1 cut short by the stack copy, 0 stopped with an error\n$/)
  })

  it('a garbage line after two good captures: both printed, then one error line, exit 2', () => {
    const p = file('bad.jsonl', [hw(), fake(), '{"regs": garbage', hw()])
    const r = run([p])
    expect(r.status).toBe(2)
    const caps = parseOutput(r.out)
    expect(caps.map((c) => c.header.replace(/^.*: /, ''))).toEqual(['capture line 1 (hw regs)', 'capture line 2 (fake regs)'])
    expect(caps[0]!.frames.map(fnName)).toEqual(CHAIN)
    expect(caps[1]!.frames.map(fnName)).toEqual(CHAIN.slice(1))
    const errLines = r.err.trimEnd().split('\n')
    expect(errLines).toHaveLength(1)
    expect(errLines[0]).toMatch(new RegExp(`^perf-orc: ${p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: capture line 3: not valid JSON`))
  })
})
