/**
 * `perf-orc report`: the whole profile as a perf-report-style text (default), JSON, or a file
 * picked by -o's extension / --format: HTML flamegraph, speedscope, folded stacks, pprof.
 */
import type { Argv } from 'yargs'
import { UsageError } from '../../parsers/common/errors.js'
import { isBinaryFormat, pickOutputFormat, type OutputFormat } from '../../render/output-format.js'
import { SampleStore } from '../../render/sample-store.js'
import { formatReport, reportJson } from '../../render/report-text.js'
import { renderFlamegraphHtml } from '../../render/flamegraph-html.js'
import { renderSpeedscope } from '../../render/speedscope.js'
import { renderFolded } from '../../render/folded.js'
import { renderPprof } from '../../render/pprof.js'
import type { PipelineCounts, ProfileMeta, ResolvedSample } from '../../render/model.js'
import { isJsonInput, profileMeta, runJsonPipeline, runPipeline } from '../pipeline.js'
import { inputOptions, inputPath, sampleFilter, withInput, type InputArgs } from '../options.js'
import { makeUserUnwinder } from '../unwinder.js'
import { Progress } from '../progress.js'
import { writeOutput } from '../output.js'
import { warn, type CommandResult } from '../errors.js'

interface ReportArgs extends InputArgs {
  output?: string
  format?: string
  weight?: string
}

export const command = 'report [file]'
export const describe = 'summarize the profile (text, JSON) or write a flamegraph / speedscope / folded / pprof file'
export const builder = (y: Argv): Argv<ReportArgs> =>
  withInput(y)
    .option('output', { alias: 'o', type: 'string', describe: 'output file; its extension picks the format (.html .speedscope.json .folded .pb.gz .txt .json)' })
    .option('format', { type: 'string', describe: 'text | json | html | speedscope | folded | pprof' })
    .option('weight', { type: 'string', choices: ['period', 'samples'], default: 'period', describe: 'weigh frames by event period or by sample count' }) as Argv<ReportArgs>

export async function run(a: ReportArgs): Promise<CommandResult> {
  const format = pickOutputFormat({ output: a.output, format: a.format })
  if (isBinaryFormat(format) && (a.output === undefined || a.output === '-') && process.stdout.isTTY) {
    throw new UsageError('pprof output is binary: name a file with -o profile.pb.gz')
  }
  if (a.output !== undefined && a.output !== '-') await writeOutput(a.output, '') // fail before the work, not after
  const keep = sampleFilter(a)
  const store = new SampleStore()
  const progress = Progress.forFile(inputPath(a))
  const { meta, counts } = isJsonInput(inputPath(a))
    ? await runJsonPipeline(inputPath(a), (s) => {
        if (keep(s)) store.add(s)
      })
    : await readRecording(a, (s, bytes) => {
        progress.tick(bytes)
        if (keep(s)) store.add(s)
      }, (line) => progress.interrupt(() => warn(line)))
  progress.stop()
  if (counts.readError === undefined && store.length === 0) {
    throw new UsageError(`${inputPath(a)}: no samples${a.comm || a.pid || a.tid || a.time || a.event ? ' match the filters' : ''}`)
  }
  await writeOutput(a.output, render(format, store, meta, counts, a.weight === 'samples' ? 'samples' : 'period'))
  return { readError: counts.readError }
}

/** A perf.data recording through the whole pipeline, with its metadata for titles. */
async function readRecording(
  a: ReportArgs,
  onSample: (s: ResolvedSample, bytesRead: number) => void,
  onWarning: (line: string) => void,
): Promise<{ meta: ProfileMeta; counts: PipelineCounts }> {
  const result = await runPipeline(
    inputOptions(a),
    (s, _rec, _file, ctx) => onSample(s, ctx.reader.stats.bytesRead),
    makeUserUnwinder(a),
    onWarning,
  )
  return { meta: profileMeta(result.file, result.counts), counts: result.counts }
}

function render(format: OutputFormat, store: SampleStore, meta: ProfileMeta, counts: PipelineCounts, weight: 'period' | 'samples'): string | Uint8Array {
  switch (format) {
    case 'text':
      return formatReport(reportJson(store, meta, { weight, counts }))
    case 'json':
      return JSON.stringify(reportJson(store, meta, { weight, counts }), null, 2) + '\n'
    case 'html':
      return renderFlamegraphHtml(store, meta, { weight, reverse: true })
    case 'speedscope':
      return renderSpeedscope(store, { weight })
    case 'folded':
      return renderFolded(store, { weight })
    case 'pprof':
      return renderPprof(store, { wallClockOffsetNs: meta.wallClockOffsetNs })
  }
}
