/**
 * `perf-orc orc dump FILE`: the ORC table of a vmlinux or .ko in objtool's `--dump=orc` text,
 * in the dialect of the kernel generation the file comes from (tools/objtool/orc_dump.c; from
 * ~v6.9 arch/x86/orc.c orc_print_dump):
 *
 *   v4.14..v6.2  `.text+10: sp:sp+8 bp:(und) type:call end:0`
 *   v6.3         `.text+10: sp:sp+8 bp:(und) type:call signal:0 end:0`
 *   v6.4..       `.text+10:type:call sp:sp+8 bp:(und) signal:0`          (no space after the colon)
 *
 * Label: ET_REL files print the relocation's section (STT_SECTION) or symbol name and its addend,
 * `"%s+%llx:"`; linked images print the absolute address `"%llx:"`. Output for 6.1 modules is
 * byte-identical to linux-kbuild-6.1's objtool (kernel-dump.test.ts compares them).
 *
 * One deliberate difference: objtool prints nothing for a file without .symtab (a vmlinux pulled
 * out of a bzImage is stripped); we dump its table anyway, with absolute addresses.
 *
 * The v6.4+ lines come from dump.ts's formatOrcDumpLine (shared with user-space tables); the
 * older dialects are printed here from the raw on-disk words.
 */
import { addrHex } from '../../parsers/common/addr.js'
import type { ElfFile } from '../../parsers/elf/elf-file.js'
import { hasKernelOrc, readKernelOrc, type KernelOrc, type KernelOrcOptions } from '../../parsers/kernel-orc/kernel-orc.js'
import { internalReg, parseKernelRelease } from '../../parsers/kernel-orc/versions.js'
import { formatOrcDumpLine, formatOrcReg } from './dump.js'
import { OrcReg } from './entry.js'

/** C's "%+d". */
function signed(n: number): string {
  return n >= 0 ? `+${n}` : String(n)
}

/**
 * print_reg in a pre-6.3 dialect. Before v5.12 (87ccc826bf1c) SP_INDIRECT meant *(sp + off) and
 * printed "(sp+8)"; since then *(sp) + off, printed "(sp)+8" (dump.ts formatOrcReg).
 */
function formatOldReg(reg: number, offset: number, oldSpIndirect: boolean): string {
  if (oldSpIndirect && reg === OrcReg.SP_INDIRECT) return `(sp${signed(offset)})`
  return formatOrcReg(reg, offset)
}

/** What objtool prints before the colon for entry i: "section+hexaddend" (ET_REL) or the hex address. */
export function orcDumpLocation(orc: KernelOrc, i: number): string {
  const l = orc.labels?.[i]
  return l ? `${l.name}+${addrHex(l.addend)}` : addrHex(orc.ips[i]!)
}

/** Release-dependent spellings of the pre-6.3 dumps. */
interface OldDialect {
  /** ORC_TYPE_REGS_IRET was renamed REGS_PARTIAL in v5.8 (approximate: rename point not verified). */
  iret: boolean
  /** Before v5.12 SP_INDIRECT printed "(sp+N)". */
  oldSpIndirect: boolean
}

function oldDialect(release: string | undefined): OldDialect {
  const rel = release !== undefined ? parseKernelRelease(release) : undefined
  const v = rel ? rel.major * 1000 + rel.minor : 6002
  return { iret: v < 5008, oldSpIndirect: v < 5012 }
}

/** Pre-6.4 body from the raw word: type is 2 bits (call, regs, regs (partial)), end flag. */
function formatOldBody(orc: KernelOrc, i: number, d: OldDialect): string {
  const f = orc.flags[i]!
  const sp = formatOldReg(internalReg(orc.format, f), orc.spOffset[i]!, d.oldSpIndirect)
  const bp = formatOldReg(internalReg(orc.format, f >> 4), orc.bpOffset[i]!, d.oldSpIndirect)
  const t = (f >> 8) & 3
  const type = t === 0 ? 'call' : t === 1 ? 'regs' : t === 2 ? (d.iret ? 'iret' : 'regs (partial)') : '?'
  if (orc.format === 'v4.14') return ` sp:${sp} bp:${bp} type:${type} end:${(f >> 10) & 1}`
  return ` sp:${sp} bp:${bp} type:${type} signal:${(f >> 10) & 1} end:${(f >> 11) & 1}`
}

/** The dump, one line per entry in file order (objtool does not sort). */
export function* kernelOrcDumpLines(orc: KernelOrc): Generator<string> {
  const old = orc.format === 'v4.14' || orc.format === 'v6.3'
  const d = oldDialect(orc.release)
  for (let i = 0; i < orc.length; i++) {
    const loc = orcDumpLocation(orc, i)
    yield old ? `${loc}:${formatOldBody(orc, i, d)}` : formatOrcDumpLine(loc, orc.entry(i))
  }
}

/** Whole dump as text with a trailing newline per line, as objtool writes it. */
export function formatKernelOrcDump(orc: KernelOrc): string {
  const parts: string[] = []
  for (const line of kernelOrcDumpLines(orc)) parts.push(line, '\n')
  return parts.join('')
}

/**
 * `orc dump` of a whole file. Like objtool, a file without .orc_unwind / .orc_unwind_ip (a module
 * with no code) dumps as nothing rather than an error.
 */
export function dumpKernelOrcFile(elf: ElfFile, opts: KernelOrcOptions = {}): string {
  return hasKernelOrc(elf) ? formatKernelOrcDump(readKernelOrc(elf, opts)) : ''
}
