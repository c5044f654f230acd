/**
 * `perf-orc kernel CAPTURES.jsonl`: unwinds raw kernel stack captures (parsers/kernel-capture,
 * FORMAT.md) with the ORC tables of a vmlinux and of the modules each capture names, and prints
 * them perf-script style:
 *
 *   kworker/0:1 123/123 [000] 1.234567: capture line 1 (hw regs)
 *   \tffffffffc0a0312f kvm_arch_vcpu_ioctl_run+0x12f ([kvm])
 *   \tffffffffc0a01234 ? kvm_vcpu_ioctl+0x34 ([kvm])      (found by the frame-pointer guess)
 *   (blank line)
 *
 * and one summary line on stderr. Modules are found by the capture's `path`, else by name
 * (NAME.ko, with '-' and '_' alike) among --module files or under --modules DIR, plain or
 * compressed as distributions ship them (NAME.ko.xz, .ko.zst, .ko.gz: parsers/elf/open-elf.ts).
 */
import { createReadStream, existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { basename, join } from 'node:path'
import type { Argv } from 'yargs'
import { parseAddrHex, type Addr } from '../../parsers/common/addr.js'
import { UsageError } from '../../parsers/common/errors.js'
import { KernelCaptureError, readKernelCaptures, type CapturedModule, type KernelCapture } from '../../parsers/kernel-capture/capture.js'
import { formatFrame, formatTime } from '../../render/script-text.js'
import { WALK_STATUS_NAMES, WalkStatus } from '../../unwind/frame-buffer.js'
import { KernelCaptureUnwinder, KernelImage, type KernelCaptureResult } from '../../unwind/kernel-capture-unwinder.js'
import { TextSink } from '../output.js'
import { warn, type CommandResult } from '../errors.js'

interface KernelArgs {
  captures?: string
  vmlinux?: string
  systemMap?: string
  modules?: string
  module?: string[]
  release?: string
  kaslrOffset?: string
}

export const command = 'kernel <captures>'
export const describe = 'unwind raw kernel stack captures (JSON lines) with vmlinux and module ORC tables'
export const builder = (y: Argv): Argv<KernelArgs> =>
  y
    .positional('captures', { type: 'string', describe: 'capture file, JSON lines (parsers/kernel-capture/FORMAT.md); "-" for stdin' })
    .option('vmlinux', { type: 'string', describe: 'the captured kernel\'s vmlinux (ORC tables and symbols)' })
    .option('system-map', { type: 'string', describe: 'System.map naming the vmlinux\'s code (for a stripped vmlinux, as distributions ship)' })
    .option('modules', { type: 'string', describe: 'directory searched recursively for NAME.ko (e.g. /lib/modules/$(uname -r))' })
    .option('module', { type: 'string', array: true, describe: 'a .ko file, named by its file name (repeatable)' })
    .option('release', { type: 'string', describe: 'kernel release to pick the ORC layout when a file does not say (e.g. 6.1.0)' })
    .option('kaslr-offset', { type: 'string', describe: 'KASLR slide of the captured kernel in hex (runtime - link address of _text)' }) as Argv<KernelArgs>

export async function run(a: KernelArgs): Promise<CommandResult> {
  // yargs hands a positional "-" over as "".
  const input = a.captures === '' || a.captures === undefined ? '-' : a.captures
  const kaslrOffset = parseKaslr(a.kaslrOffset)
  if (input !== '-') statSync(input) // a missing file is one "no such file" line, before any output
  if (a.systemMap !== undefined && a.vmlinux === undefined) throw new UsageError('--system-map names the code of a --vmlinux: give both')
  const systemMap = a.systemMap !== undefined ? readFileSync(a.systemMap) : undefined
  const vmlinux = a.vmlinux !== undefined ? KernelImage.load(a.vmlinux, { release: a.release, systemMap }) : undefined
  const finder = new ModuleFinder(a.module ?? [], a.modules)
  const unwinder = new KernelCaptureUnwinder({
    vmlinux,
    kaslrOffset,
    release: a.release,
    findModule: (m) => finder.find(m),
    onWarning: warn,
  })
  const out = await TextSink.open(undefined)
  const summary = new Summary()
  let readError: string | undefined
  try {
    for await (const c of readKernelCaptures(input === '-' ? process.stdin : createReadStream(input))) {
      if (out.isClosed) break // `perf-orc kernel … | head`
      const r = unwinder.unwind(c)
      summary.add(r)
      await out.write(formatCapture(c, r))
    }
  } catch (e) {
    if (!(e instanceof KernelCaptureError)) throw e
    readError = `${input === '-' ? 'stdin' : input}: ${e.message}`
  } finally {
    await out.close()
  }
  // A read fault is the one stderr line of a run cut short (cli/errors.ts finish prints it).
  if (readError === undefined) process.stderr.write(`perf-orc: ${summary.line()}\n`)
  return { readError }
}

function parseKaslr(s: string | undefined): Addr {
  if (s === undefined) return 0
  if (!/^(0x)?[0-9a-fA-F]{1,16}$/.test(s)) throw new UsageError(`--kaslr-offset: "${s}" is not a hex number`)
  return parseAddrHex(s.toLowerCase())
}

/** `COMM PID/TID [CPU] TIME: capture line N (fake regs|hw regs)`, the frames, a blank line. */
export function formatCapture(c: KernelCapture, r: KernelCaptureResult): string {
  let head = `${c.comm ?? '[unknown]'} ${c.pid ?? -1}/${c.tid ?? -1} `
  if (c.cpu !== undefined) head += `[${String(c.cpu).padStart(3, '0')}] `
  if (c.time !== undefined) head += `${formatTime(c.time).trimStart()} `
  head = head.trimEnd() + `: capture line ${c.line} (${r.fakeRegs ? 'fake regs' : 'hw regs'})\n`
  let s = head
  for (const f of r.frames) s += '\t' + formatFrame(f) + '\n'
  return s + '\n'
}

/** Counts for the stderr summary. */
class Summary {
  captures = 0
  fake = 0
  rooted = 0
  unreliable = 0
  truncated = 0
  errors = new Map<string, number>()

  add(r: KernelCaptureResult): void {
    this.captures++
    if (r.fakeRegs) this.fake++
    if (r.unreliable) this.unreliable++
    if (r.rooted) this.rooted++
    else if (r.status === WalkStatus.TRUNCATED) this.truncated++
    else {
      const name = WALK_STATUS_NAMES[r.status] ?? String(r.status)
      this.errors.set(name, (this.errors.get(name) ?? 0) + 1)
    }
  }

  line(): string {
    const errs = [...this.errors].reduce((n, [, k]) => n + k, 0)
    const by = errs > 0 ? ` (${[...this.errors].map(([s, k]) => `${s} ${k}`).join(', ')})` : ''
    return (
      `${this.captures} captures: ${this.fake} with fake regs, ${this.rooted} reached the end of the stack, ` +
      `${this.unreliable} with unreliable frames, ${this.truncated} cut short by the stack copy, ${errs} stopped with an error${by}`
    )
  }
}

/** Module name as the kernel spells it: file name without .ko[.xz], '-' → '_'. */
function moduleKey(name: string): string {
  return name.replace(/\.ko(\.(xz|zst|gz))?$/, '').replace(/-/g, '_')
}

/** Where the .ko of a captured module is: --module files, the capture's path, --modules DIR. */
class ModuleFinder {
  private readonly explicit = new Map<string, string>()
  private index: Map<string, string> | undefined
  private compressed: Map<string, string> | undefined

  constructor(
    files: readonly string[],
    private readonly dir: string | undefined,
  ) {
    for (const f of files) {
      statSync(f) // a missing --module file is a usage error, reported before any output
      this.explicit.set(moduleKey(basename(f)), f)
    }
    if (dir !== undefined && !statSync(dir).isDirectory()) throw new UsageError(`--modules ${dir}: not a directory`)
  }

  find(m: CapturedModule): string | undefined {
    const key = moduleKey(m.name)
    const given = this.explicit.get(key)
    if (given !== undefined) return given
    if (m.path !== undefined && existsSync(m.path)) return m.path
    if (this.dir === undefined) return undefined
    this.buildIndex()
    return this.index!.get(key) ?? this.compressed!.get(key)
  }

  /** NAME.ko (and, apart, NAME.ko.xz/.zst/.gz) files under dir, first by sorted path on duplicates. */
  private buildIndex(): void {
    if (this.index) return
    this.index = new Map()
    this.compressed = new Map()
    const walk = (d: string): void => {
      for (const ent of readdirSync(d, { withFileTypes: true }).sort((x, y) => (x.name < y.name ? -1 : x.name > y.name ? 1 : 0))) {
        const p = join(d, ent.name)
        if (ent.isDirectory()) walk(p)
        else if (ent.name.endsWith('.ko')) {
          if (!this.index!.has(moduleKey(ent.name))) this.index!.set(moduleKey(ent.name), p)
        } else if (/\.ko\.(xz|zst|gz)$/.test(ent.name) && !this.compressed!.has(moduleKey(ent.name))) {
          this.compressed!.set(moduleKey(ent.name), p)
        }
      }
    }
    walk(this.dir!)
  }
}
