/** `perf-orc header`: what `perf report --header-only` shows. */
import type { Argv } from 'yargs'
import { formatHeader } from '../../render/header-text.js'
import { inputPath, type InputArgs } from '../options.js'
import { openRecording } from '../pipeline.js'
import type { CommandResult } from '../errors.js'

export const command = 'header [file]'
export const describe = 'print the recording header like `perf report --header-only`'
export const builder = (y: Argv): Argv<InputArgs> =>
  y
    .positional('file', { type: 'string', describe: 'perf.data file' })
    .option('input', { alias: 'i', type: 'string', describe: 'input file; default ./perf.data' }) as Argv<InputArgs>

export async function run(a: InputArgs): Promise<CommandResult> {
  const reader = await openRecording(inputPath(a))
  // Pipe mode only learns attrs and features from records: read through them first.
  if (reader.file.pipe) for await (const _ of reader.records()) void _
  else await reader.close()
  process.stdout.write(formatHeader(reader.file))
  return { readError: reader.error ? `${inputPath(a)}: ${reader.error.message}` : undefined }
}
