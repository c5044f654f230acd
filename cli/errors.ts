/**
 * The CLI's single error policy: one line on stderr ("perf-orc: what, where"), a non-zero exit,
 * never a stack trace (PERF_ORC_DEBUG=1 shows it for developers).
 */
import { PerfOrcError } from '../parsers/common/errors.js'

export interface CommandResult {
  /** A fault that ended reading early; everything before it was processed and printed. */
  readError?: string
}

export function warn(line: string): void {
  process.stderr.write(`perf-orc: warning: ${line}\n`)
}

export function fail(e: unknown): number {
  if (process.env['PERF_ORC_DEBUG'] && e instanceof Error) process.stderr.write(`${e.stack}\n`)
  if (e instanceof PerfOrcError) {
    process.stderr.write(`perf-orc: ${e.message}\n`)
    return 1
  }
  const err = e as NodeJS.ErrnoException
  if (err && typeof err === 'object' && typeof err.code === 'string' && err.path !== undefined) {
    const what = err.code === 'ENOENT' ? 'no such file' : err.code === 'EISDIR' ? 'is a directory' : err.code
    process.stderr.write(`perf-orc: ${err.path || '(empty path)'}: ${what}\n`)
    return 1
  }
  process.stderr.write(`perf-orc: internal error: ${err instanceof Error ? err.message : String(e)}\n`)
  return 70
}

/** Exit status after a command: a read fault is reported once and makes the exit non-zero. */
export function finish(r: CommandResult): number {
  if (r.readError) {
    process.stderr.write(`perf-orc: ${r.readError}\n`)
    return 2
  }
  return 0
}
