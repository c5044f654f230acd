/**
 * Options shared by the commands that read a recording, spelled as perf spells them.
 */
import type { Argv } from 'yargs'
import { makeSampleFilter, type SampleFilter } from '../render/filter.js'
import { UsageError } from '../parsers/common/errors.js'

export interface InputArgs {
  file?: string
  input?: string
  symfs?: string
  kallsyms?: string
  comm?: string
  pid?: string
  tid?: string
  time?: string
  event?: string
  unwind?: string
  cache?: boolean
  maxStack?: number
}

export function withInput<T>(y: Argv<T>): Argv<T & InputArgs> {
  return y
    .positional('file', { type: 'string', describe: 'perf.data file ("-" for a pipe on stdin)' })
    .option('input', { alias: 'i', type: 'string', describe: 'input file (as perf -i); default ./perf.data' })
    .option('symfs', { type: 'string', describe: 'look for binaries relative to this directory' })
    .option('kallsyms', { type: 'string', describe: "kernel symbols file (default: perf's build-id cache copy for the recorded kernel, else /proc/kallsyms when the recording is from this machine)" })
    .option('comm', { type: 'string', describe: 'only these comms (comma-separated)' })
    .option('pid', { type: 'string', describe: 'only these pids (comma-separated)' })
    .option('tid', { type: 'string', describe: 'only these tids (comma-separated)' })
    .option('time', { type: 'string', describe: 'time window "start,stop" in seconds' })
    .option('event', { type: 'string', describe: 'only samples of this event' })
    .option('unwind', { type: 'string', choices: ['orc', 'fp'], default: 'orc', describe: 'how to walk captured user stacks (dwarf recordings)' })
    .option('cache', { type: 'boolean', default: true, describe: 'cache compiled unwind tables (--no-cache turns it off)' })
    .option('max-stack', { type: 'number', default: 127, describe: 'deepest user stack to unwind, in frames (perf\'s default 127)' })
    // perf users type --no-inline by habit: frames are always what `perf script --no-inline` prints.
    .option('inline', { type: 'boolean', default: false, describe: 'inlined functions from debug info: not supported; --no-inline (the only mode) is accepted' })
    .check((a) => {
      if (a.inline === true) throw new Error('--inline: inlined functions are not shown; frames are what perf script --no-inline prints')
      return true
    }) as Argv<T & InputArgs>
}

export function inputPath(a: InputArgs): string {
  // yargs turns a lone "-" positional into an empty string.
  const p = a.input ?? a.file
  if (p === undefined) return './perf.data'
  return p === '' ? '-' : p
}

/** The pipeline's input options from the command line. */
export function inputOptions(a: InputArgs): { input: string; symfs?: string; kallsyms?: string } {
  return { input: inputPath(a), symfs: a.symfs, kallsyms: a.kallsyms }
}

function list(s: string | undefined): string[] | undefined {
  return s === undefined ? undefined : s.split(',').map((x) => x.trim()).filter(Boolean)
}

function numbers(s: string | undefined, what: string): number[] | undefined {
  const l = list(s)
  if (!l) return undefined
  return l.map((x) => {
    if (!/^\d+$/.test(x)) throw new UsageError(`--${what}: "${x}" is not a number`)
    return Number(x)
  })
}

export function sampleFilter(a: InputArgs): SampleFilter {
  return makeSampleFilter({ comms: list(a.comm), pids: numbers(a.pid, 'pid'), tids: numbers(a.tid, 'tid'), time: a.time, event: a.event })
}
