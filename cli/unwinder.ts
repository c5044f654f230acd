/** Chooses the user-stack unwinder for a run from the command-line options. */
import type { UnwinderFactory } from './pipeline.js'
import type { InputArgs } from './options.js'
import { ProcessCodeLookup } from '../unwind/process-code-lookup.js'
import { UserStackUnwinder, type UnwindMode } from '../unwind/user-stack-unwinder.js'

export function makeUserUnwinder(a: InputArgs, mode?: UnwindMode): UnwinderFactory {
  return (ctx) => {
    const lookup = new ProcessCodeLookup(ctx.machine, ctx.symbolizer, { noCache: a.cache === false }, ctx.diag)
    return new UserStackUnwinder(lookup, mode ?? (a.unwind === 'fp' ? 'fp' : 'orc'))
  }
}
