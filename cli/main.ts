/**
 * perf-orc command line: parses arguments (yargs), runs one command, maps every failure to one
 * stderr line and an exit status. Commands live in cli/commands/, one file each.
 */
import yargs, { type Argv } from 'yargs'
import { hideBin } from 'yargs/helpers'
import { fail, finish, type CommandResult } from './errors.js'

/**
 * Each command is its own module, evaluated only when named: `script` then never runs the
 * top-level code of the renderers, the kernel-capture reader or the ORC dumper. Start-up is most
 * of a short run (see launcher.ts).
 */
const COMMANDS = {
  report: () => import('./commands/report.js'),
  script: () => import('./commands/script.js'),
  compare: () => import('./commands/compare.js'),
  header: () => import('./commands/header.js'),
  orc: () => import('./commands/orc.js'),
  kernel: () => import('./commands/kernel.js'),
}
type CommandName = keyof typeof COMMANDS

/** The named command's module, or all of them (for --help, a missing or a mistyped command). */
async function commandModules(argv: string[]): Promise<Command<unknown>[]> {
  const first = argv[0]
  const names = first !== undefined && Object.hasOwn(COMMANDS, first) ? [first as CommandName] : (Object.keys(COMMANDS) as CommandName[])
  return (await Promise.all(names.map((n) => COMMANDS[n]()))) as unknown as Command<unknown>[]
}

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
  const argv = hideBin(process.argv)
  let y = yargs(argv).scriptName('perf-orc').strict().help().alias('help', 'h').version(false).wrap(100)
  for (const c of await commandModules(argv)) y = register(y, c)
  y = y.demandCommand(1, `name a command: ${Object.keys(COMMANDS).join(', ')}`).fail((msg, err) => {
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
