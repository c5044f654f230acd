/**
 * Which renderer an output file gets: from an explicit --format, else from the file name's ending.
 * Longest endings are tested first (".speedscope.json" before ".json"). Writing to stdout with no
 * --format gives the text report, like `perf report --stdio`.
 */
import { UsageError } from '../parsers/common/errors.js'

export type OutputFormat = 'html' | 'speedscope' | 'folded' | 'pprof' | 'text' | 'json'

export const OUTPUT_FORMATS: readonly OutputFormat[] = ['html', 'speedscope', 'folded', 'pprof', 'text', 'json']

/** File endings per format, most specific first overall. */
const ENDINGS: ReadonlyArray<[string, OutputFormat]> = [
  ['.speedscope.json', 'speedscope'],
  ['.pb.gz', 'pprof'],
  ['.html', 'html'],
  ['.htm', 'html'],
  ['.folded', 'folded'],
  ['.txt', 'text'],
  ['.json', 'json'],
]

/** Extra spellings accepted by --format. */
const ALIASES: Readonly<Record<string, OutputFormat>> = {
  txt: 'text',
  collapsed: 'folded',
  pb: 'pprof',
  'pb.gz': 'pprof',
  'speedscope.json': 'speedscope',
}

/** The format a path's ending implies, or undefined when the ending is not one we write. */
export function formatFromPath(path: string): OutputFormat | undefined {
  const lower = path.toLowerCase()
  for (const [ending, format] of ENDINGS) if (lower.endsWith(ending)) return format
  return undefined
}

export function parseFormatName(name: string): OutputFormat {
  const n = name.trim().toLowerCase()
  if ((OUTPUT_FORMATS as readonly string[]).includes(n)) return n as OutputFormat
  const alias = ALIASES[n]
  if (alias !== undefined) return alias
  throw new UsageError(`unknown --format "${name}"; expected one of ${OUTPUT_FORMATS.join(', ')}`)
}

/**
 * The format for this invocation. `output` undefined or "-" means stdout.
 * Throws UsageError for an unknown --format or an output ending that names no format.
 */
export function pickOutputFormat(opts: { output?: string; format?: string }): OutputFormat {
  if (opts.format !== undefined && opts.format !== '') return parseFormatName(opts.format)
  if (opts.output === undefined || opts.output === '-') return 'text'
  const fromPath = formatFromPath(opts.output)
  if (fromPath !== undefined) return fromPath
  const known = ENDINGS.map(([e]) => e).join(', ')
  throw new UsageError(`cannot tell the output format from "${opts.output}": use one of ${known}, or pass --format`)
}

/** Formats that are binary and must not go to a terminal. */
export function isBinaryFormat(format: OutputFormat): boolean {
  return format === 'pprof'
}
