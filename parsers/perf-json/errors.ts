import { PerfOrcError } from '../common/errors.js'

/**
 * Malformed, truncated or unexpected `perf data convert --to-json` output. `offset` is the 0-based
 * byte offset of the fault in the file, with 1-based `line`/`column`, when the JSON text itself is
 * broken (stream-json's verifier locates it); for a well-formed file of the wrong shape they are
 * undefined and `sampleIndex` says which sample was bad.
 */
export class PerfJsonError extends PerfOrcError {
  constructor(
    readonly path: string,
    readonly detail: string,
    readonly offset?: number,
    readonly line?: number,
    readonly column?: number,
    readonly sampleIndex?: number,
  ) {
    super(`${path}: ${detail}${locationText(offset, line, column, sampleIndex)}`)
  }
}

function locationText(offset?: number, line?: number, column?: number, sampleIndex?: number): string {
  const parts: string[] = []
  if (sampleIndex !== undefined) parts.push(`in sample ${sampleIndex}`)
  if (line !== undefined && column !== undefined) parts.push(`at line ${line} column ${column}`)
  if (offset !== undefined) parts.push(`(offset 0x${offset.toString(16)})`)
  return parts.length > 0 ? ' ' + parts.join(' ') : ''
}
