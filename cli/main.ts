#!/usr/bin/env node
/**
 * perf-orc command line: parses arguments (yargs), runs one command, maps every failure to one
 * stderr line and an exit status. Commands live in cli/commands/, one file each.
 */
import yargs, { type Argv } from 'yargs'
import { hideBin } from 'yargs/helpers'
import { fail, finish, type CommandResult } from './errors.js'
import * as script from './commands/script.js'
import * as header from './commands/header.js'
import * as report from './commands/report.js'
import * as orc from './commands/orc.js'
import * as compare from './commands/compare.js'
import * as kernel from './commands/kernel.js'

interface Command<A> {
  command: string
  describe: string
  builder: (y: Argv) => Argv<A>
  run: (a: A) => Promise<CommandResult>
}

let pending: Promise<number> | undefined

function register<A>(y: Argv, c: Command<A>): Argv {
  return y.command(c.command, c.describe, c.builder, (a) => {
    pending = c.run(a as A).then(finish, fail)
  })
}

interface YargsInternals {
  getInternalMethods(): { getUsageInstance(): { cacheHelpMessage(): void } }
}

/**
 * yargs renders the whole help text after starting a command's handler, to have it ready should
 * the command fail (command.js: cacheHelpMessage). Our failures print one line, never the help,
 * so that text is never shown; rendering it cost every run 40 ms or more (`script` on the small
 * fp.data fixture: 0.40 s before, 0.27 s after). `--help` is unaffected.
 */
function skipHelpCache(y: Argv): void {
  const usage = (y as unknown as YargsInternals).getInternalMethods?.().getUsageInstance?.()
  if (usage && typeof usage.cacheHelpMessage === 'function') usage.cacheHelpMessage = () => undefined
}

async function main(): Promise<number> {
  let y = yargs(hideBin(process.argv)).scriptName('perf-orc').strict().help().version(false).wrap(100)
  for (const c of [report, script, compare, header, orc, kernel] as Command<unknown>[]) y = register(y, c)
  y = y.demandCommand(1, 'name a command: script, report, header, compare, orc, kernel').fail((msg, err) => {
    const line = (msg ?? err?.message ?? 'bad arguments').replace(/\s*\n\s*/g, ' ')
    process.stderr.write(`perf-orc: ${line} (see perf-orc --help)\n`)
    process.exit(64)
  })
  skipHelpCache(y)
  await y.parseAsync()
  return pending ? await pending : 0
}

main().then(
  (code) => {
    process.exitCode = code
  },
  (e) => {
    process.exitCode = fail(e)
  },
)
