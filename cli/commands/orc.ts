/**
 * `perf-orc orc dump FILE`: an ORC table in objtool's `--dump=orc` text. Kernel files (vmlinux,
 * .ko) print their .orc_unwind data in the dialect of the kernel generation they come from; user
 * ELF files print the table compiled from their CFI.
 */

import type { Argv } from 'yargs'
import { openElf } from '../../parsers/elf/open-elf.js'
import { hasKernelOrc } from '../../parsers/kernel-orc/kernel-orc.js'
import { dumpKernelOrcFile } from '../../unwind/orc/kernel-dump.js'
import { compileBinaryTable } from '../../unwind/orc/binary-tables.js'
import { orcDumpLines } from '../../unwind/orc/dump.js'
import { TextSink } from '../output.js'
import type { CommandResult } from '../errors.js'

interface OrcArgs {
  action?: string
  file?: string
  release?: string
}

export const command = 'orc <action> <file>'
export const describe = 'ORC tables: `orc dump FILE` prints them like `objtool --dump=orc`'
export const builder = (y: Argv): Argv<OrcArgs> =>
  y
    .positional('action', { type: 'string', choices: ['dump'], describe: 'what to do' })
    .positional('file', { type: 'string', describe: 'vmlinux, a .ko, or a user ELF binary' })
    .option('release', { type: 'string', describe: 'kernel release to pick the ORC format when the file does not say (e.g. 6.1.0)' }) as Argv<OrcArgs>

export async function run(a: OrcArgs): Promise<CommandResult> {
  const path = a.file!
  const elf = openElf(path)
  const out = await TextSink.open(undefined)
  if (hasKernelOrc(elf)) {
    await out.write(dumpKernelOrcFile(elf, { release: a.release }))
  } else {
    const { table } = compileBinaryTable(elf)
    for (const line of orcDumpLines(table)) await out.write(line + '\n')
  }
  await out.close()
  return {}
}
