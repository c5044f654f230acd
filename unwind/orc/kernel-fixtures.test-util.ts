/**
 * Test helper: where bench/kernel-modules.sh put the Debian kernel packages (objtool 6.1 / 6.12 and
 * the module trees), and deterministic module picks. Throws (so tests fail, not skip) when the
 * packages are missing: CI runs the script first.
 */
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'

export interface KernelFixtures {
  dir: string
  objtool61: string
  modules61: string
  objtool612: string
  modules612: string
  /** The stripped ELF vmlinux inside each image package's bzImage. */
  vmlinux61: string
  vmlinux612: string
}

/**
 * One function of a synthetic kernel call chain (cli/kernel*.test.ts): a CALL entry of its body
 * and the return address that selects it.
 */
export interface ChainFn {
  name: string
  start: number
  /** E + 1: the lookup at ret - 1 finds the entry at E. */
  ret: number
  spOffset: number
  /** OrcReg.UNDEFINED or OrcReg.PREV_SP. */
  bpReg: number
  bpOffset: number
}

export function kernelModuleDir(): string {
  return process.env['PERF_ORC_KMOD_DIR'] ?? '/tmp/perf-orc-kmod'
}

export function loadKernelFixtures(): KernelFixtures {
  const dir = kernelModuleDir()
  const manifest = join(dir, 'manifest.env')
  if (!existsSync(manifest)) {
    throw new Error(`kernel packages not found in ${dir}: run bench/kernel-modules.sh (needs apt) first`)
  }
  const kv = new Map<string, string>()
  for (const line of readFileSync(manifest, 'utf8').split('\n')) {
    const eq = line.indexOf('=')
    if (eq > 0) kv.set(line.slice(0, eq), line.slice(eq + 1))
  }
  const get = (k: string): string => {
    const v = kv.get(k)
    if (!v || !existsSync(v)) throw new Error(`${manifest}: ${k} missing or not on disk (${v ?? 'unset'}); rerun bench/kernel-modules.sh`)
    return v
  }
  return {
    dir,
    objtool61: get('OBJTOOL_61'),
    modules61: get('MODULES_61'),
    objtool612: get('OBJTOOL_612'),
    modules612: get('MODULES_612'),
    vmlinux61: get('VMLINUX_61'),
    vmlinux612: get('VMLINUX_612'),
  }
}

/** Every file under `root` whose name ends with `suffix`, sorted by path (byte order). */
export function listModules(root: string, suffix: string): string[] {
  const out: string[] = []
  const walk = (d: string): void => {
    for (const name of readdirSync(d)) {
      const p = join(d, name)
      if (statSync(p).isDirectory()) walk(p)
      else if (name.endsWith(suffix)) out.push(p)
    }
  }
  walk(root)
  return out.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
}

/** `count` paths spread evenly over the sorted list (every Nth), deterministic. */
export function everyNth(paths: readonly string[], count: number): string[] {
  if (paths.length <= count) return [...paths]
  const step = paths.length / count
  return Array.from({ length: count }, (_, k) => paths[Math.floor(k * step)]!)
}

/** Paths whose file name is one of `names` (e.g. "kvm.ko"). */
export function byName(paths: readonly string[], names: readonly string[]): string[] {
  return paths.filter((p) => names.some((n) => p.endsWith('/' + n)))
}

/** A .ko.xz decompressed into `tmpDir` (objtool needs a file); returns the .ko path. */
export function decompressXz(path: string, tmpDir: string): string {
  mkdirSync(tmpDir, { recursive: true })
  const out = join(tmpDir, path.replace(/^\/+/, '').replace(/\//g, '_').replace(/\.xz$/, ''))
  if (!existsSync(out)) execFileSync('sh', ['-c', 'xz -dc "$1" > "$2"', 'sh', path, out])
  return out
}

/**
 * objtool's dump of a stripped vmlinux: objtool prints nothing for a file without .symtab (it
 * needs one for module labels), so it reads a copy given one dummy symbol. vmlinux entries have
 * no relocations and print as plain addresses, so the symbol changes nothing in the output.
 */
export function objtoolDumpVmlinux(objtool: string, vmlinux: string, tmp: string): string {
  mkdirSync(tmp, { recursive: true })
  const copy = join(tmp, `${vmlinux.split('/').pop()}.symtab`)
  if (!existsSync(copy)) execFileSync('objcopy', ['--add-symbol', 'perf_orc_dummy=.text:0,global,function', vmlinux, copy])
  return objtoolDump(objtool, copy)
}

/** objtool --dump=orc output (6.12's objtool refuses to start without SRCARCH). */
export function objtoolDump(objtool: string, ko: string): string {
  return execFileSync(objtool, ['--dump=orc', ko], {
    encoding: 'utf8',
    maxBuffer: 1 << 28,
    env: { ...process.env, SRCARCH: 'x86' },
  })
}
