/** `perf-orc script`: perf script's default text, sample for sample. */
import type { Argv } from 'yargs'
import { writeScriptSample, type ScriptTextOptions } from '../../render/script-text.js'
import { SampleType } from '../../parsers/perf-data/constants.js'
import { hasSampleField, isJsonInput, runJsonPipeline, runPipeline } from '../pipeline.js'
import { inputOptions, inputPath, sampleFilter, withInput, type InputArgs } from '../options.js'
import { TextSink } from '../output.js'
import { makeUserUnwinder } from '../unwinder.js'
import { warn, type CommandResult } from '../errors.js'

const PERF_TYPE_TRACEPOINT = 2

export const command = 'script [file]'
export const describe = 'print samples like `perf script` (user stacks unwound ORC-style)'
export const builder = (y: Argv): Argv<InputArgs> => withInput(y)

export async function run(a: InputArgs): Promise<CommandResult> {
  const keep = sampleFilter(a)
  const out = await TextSink.open(undefined)
  if (isJsonInput(inputPath(a))) {
    const json = { showCpu: false, callchain: true, nameWidth: 0 }
    const { counts } = await runJsonPipeline(inputPath(a), async (s) => {
      if (!keep(s) || out.isClosed) return
      writeScriptSample(s, { ...json, showCpu: s.cpu >= 0 }, out)
      await out.flushIfFull()
    })
    await out.close()
    return { readError: counts.readError }
  }
  let opts: ScriptTextOptions | undefined
  const result = await runPipeline(
    inputOptions(a),
    async (s, rec, file) => {
      if (!keep(s) || out.isClosed) return
      opts ??= {
        showCpu: hasSampleField(file, SampleType.CPU),
        callchain: hasSampleField(file, SampleType.CALLCHAIN) || hasSampleField(file, SampleType.STACK_USER),
        nameWidth: Math.max(...file.attrs.map((x) => x.name.length)),
        noPeriod: new Set(file.attrs.filter((x) => x.type === PERF_TYPE_TRACEPOINT).map((x) => x.name)),
      }
      writeScriptSample(s, opts, out)
      await out.flushIfFull()
    },
    makeUserUnwinder(a),
    warn,
  )
  await out.close()
  return { readError: result.counts.readError }
}
