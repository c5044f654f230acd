/**
 * `perf-orc compare`: the same samples of a dwarf recording walked twice, by the kernel's plain
 * frame-pointer walk and by the ORC unwinder, side by side: counts, where FP breaks, and (-o
 * diff.html) a differential flamegraph.
 */
import type { Argv } from 'yargs'
import { UsageError } from '../../parsers/common/errors.js'
import { SampleStore } from '../../render/sample-store.js'
import { compareJson, compareText, renderCompareHtml, type CompareSample } from '../../render/compare.js'
import type { ResolvedSample } from '../../render/model.js'
import { SampleResolver } from '../../unwind/sample-resolver.js'
import { profileMeta, runPipeline } from '../pipeline.js'
import { inputOptions, inputPath, sampleFilter, withInput, type InputArgs } from '../options.js'
import { makeUserUnwinder } from '../unwinder.js'
import { writeOutput } from '../output.js'
import { warn, type CommandResult } from '../errors.js'

interface CompareArgs extends InputArgs {
  json?: boolean
  output?: string
}

export const command = 'compare [file]'
export const describe = 'frame-pointer walk vs ORC unwind of the same samples (dwarf recordings)'
export const builder = (y: Argv): Argv<CompareArgs> =>
  withInput(y)
    .option('json', { type: 'boolean', describe: 'print {samples, identical, fpShorter, orcShorter, differ, ...} as JSON' })
    .option('output', { alias: 'o', type: 'string', describe: 'write a differential flamegraph (.html)' }) as Argv<CompareArgs>

export async function run(a: CompareArgs): Promise<CommandResult> {
  if (a.output !== undefined && !a.output.endsWith('.html')) throw new UsageError(`compare -o writes HTML: name the file *.html (got "${a.output}")`)
  if (a.output !== undefined) await writeOutput(a.output, '')
  const keep = sampleFilter(a)
  const orc = new SampleStore()
  const fp = new SampleStore()
  let fpResolver: SampleResolver | undefined
  const fpFactory = makeUserUnwinder(a, 'fp')
  const result = await runPipeline(
    inputOptions(a),
    (s, rec, file, ctx) => {
      if (!keep(s) || !rec.stackUser) return
      fpResolver ??= new SampleResolver(ctx.machine, ctx.symbolizer, (i) => file.eventName(i), fpFactory(ctx))
      orc.add(s)
      fp.add(fpResolver.resolve(rec))
    },
    makeUserUnwinder(a, 'orc'),
    warn,
  )
  if (orc.length === 0 && result.counts.readError === undefined) {
    throw new UsageError(`${inputPath(a)}: no samples with captured user stacks (record with --call-graph dwarf)`)
  }
  if (a.output !== undefined) await writeOutput(a.output, renderCompareHtml(pairs(fp, orc), profileMeta(result.file, result.counts)))
  const summary = compareJson(pairs(fp, orc))
  process.stdout.write(a.json ? JSON.stringify(summary, null, 2) + '\n' : compareText(summary))
  return { readError: result.counts.readError }
}

/** Zip the two stores (same samples, same order) into comparison pairs, one at a time. */
function* pairs(fp: SampleStore, orc: SampleStore): Generator<CompareSample> {
  const it = fp[Symbol.iterator]()
  for (const o of orc) {
    const f = it.next().value as ResolvedSample
    yield { pid: o.pid, tid: o.tid, comm: o.comm, period: o.period, fp: f.frames, orc: o.frames }
  }
}
