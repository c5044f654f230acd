/** Chooses the user-stack unwinder for a run (filled in when the ORC unwinder lands). */
import type { UnwinderFactory } from './pipeline.js'
import type { InputArgs } from './options.js'

export function makeUserUnwinder(_a: InputArgs): UnwinderFactory | undefined {
  return undefined
}
