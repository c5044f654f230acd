/**
 * Print an OrcTable in objtool's `--dump=orc` text format (tools/objtool/arch/x86/orc.c
 * orc_print_dump, v6.4+ wording), so our tables diff against objtool's output line by line:
 *
 *   <addr>:type:call sp:sp+8 bp:(und) signal:0
 *
 * For linked files objtool prints the address as bare lowercase hex (no 0x, no padding); we print
 * the table's own addresses (svma for user binaries) the same way. Note: no space after the colon.
 *
 * formatOrcDumpLine is shared with the kernel-module dump (kernel-*.ts), which passes its own
 * "section+offset" or "symbol+offset" location.
 */
import { addrHex } from '../../parsers/common/addr.js'
import { OrcReg, OrcType, type OrcEntry } from './entry.js'
import type { OrcTable } from './table.js'

const TYPE_NAMES = ['(und)', 'end', 'call', 'regs', 'regs (partial)']

const REG_NAMES: Record<number, string> = {
  [OrcReg.PREV_SP]: 'prevsp',
  [OrcReg.DX]: 'dx',
  [OrcReg.DI]: 'di',
  [OrcReg.BP]: 'bp',
  [OrcReg.SP]: 'sp',
  [OrcReg.R10]: 'r10',
  [OrcReg.R13]: 'r13',
  [OrcReg.BP_INDIRECT]: 'bp(ind)',
  [OrcReg.SP_INDIRECT]: 'sp(ind)',
  [OrcReg.AX]: 'ax',
}

/** printf("%+d"): always signed. */
function signed(n: number): string {
  return n < 0 ? `${n}` : `+${n}`
}

/** objtool's print_reg (post-v5.12 SP_INDIRECT spelling "(sp)+off"). */
export function formatOrcReg(reg: number, offset: number): string {
  if (reg === OrcReg.BP_INDIRECT) return `(bp${signed(offset)})`
  if (reg === OrcReg.SP_INDIRECT) return `(sp)${signed(offset)}`
  if (reg === OrcReg.UNDEFINED) return '(und)'
  return `${REG_NAMES[reg] ?? '?'}${signed(offset)}`
}

/**
 * One dump line without the trailing newline: `${location}:type:%s sp:%s bp:%s signal:%d`.
 * `location` is what objtool prints before the colon: a bare hex address for linked files, or
 * "section+hexoffset" / "symbol+hexoffset" for relocatable objects and modules.
 */
export function formatOrcDumpLine(location: string, e: OrcEntry): string {
  // RA_REG is ours (objtool has no such type): named like objtool's "regs (partial)".
  const type = e.type === OrcType.RA_REG ? `call (ra in ${REG_NAMES[e.raReg ?? 0] ?? '?'})` : TYPE_NAMES[e.type] ?? '?'
  return `${location}:type:${type} sp:${formatOrcReg(e.spReg, e.spOffset)} bp:${formatOrcReg(e.bpReg, e.bpOffset)} signal:${e.signal ? 1 : 0}`
}

/** Every entry of `table`, one line each, addresses as bare hex (objtool's linked-file form). */
export function* orcDumpLines(table: OrcTable): Generator<string> {
  for (let i = 0; i < table.length; i++) yield formatOrcDumpLine(addrHex(table.ips[i]!), table.entry(i))
}

/** The whole dump as one string (newline-terminated lines), for small tables and golden files. */
export function dumpOrcTable(table: OrcTable): string {
  let s = ''
  for (const line of orcDumpLines(table)) s += line + '\n'
  return s
}
