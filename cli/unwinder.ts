/** Chooses the user-stack unwinder for a run from the command-line options. */
import type { UnwinderFactory } from './pipeline.js'
import type { InputArgs } from './options.js'
import { UsageError } from '../parsers/common/errors.js'
import { ProcessCodeLookup } from '../unwind/process-code-lookup.js'
import { UserStackUnwinder, type UnwindMode } from '../unwind/user-stack-unwinder.js'

export function makeUserUnwinder(a: InputArgs, mode?: UnwindMode): UnwinderFactory {
  return (ctx) => {
    const lookup = new ProcessCodeLookup(ctx.machine, ctx.symbolizer, { noCache: a.cache === false }, ctx.diag)
    const maxStack = a.maxStack ?? 127
    if (!(Number.isInteger(maxStack) && maxStack >= 1 && maxStack <= 4096)) throw new UsageError(`--max-stack must be a whole number from 1 to 4096, got ${a.maxStack}`)
    return new UserStackUnwinder(lookup, mode ?? (a.unwind === 'fp' ? 'fp' : 'orc'), maxStack)
  }
}
