// Two outputs (see cli/launcher.ts): the CLI as one CommonJS file, dist/perf-orc.cjs, that the
// launcher runs as a vm.Script with V8's code cache; and the launcher itself, dist/perf-orc.mjs,
// the bin. Commands' dynamic imports are inlined: a vm.Script has no module loader for chunks.

/**
 * string-width (three copies, under yargs and its cliui) builds two costly things when it loads:
 * an Intl.Segmenter (ICU set-up) and, in yargs' copy, a /^\p{RGI_Emoji}$/v regex. Every run paid
 * for them though only help and error text is ever measured: `header` on fp.data took 172 ms,
 * 157 ms with the segmenters deferred, 119 ms with the regex too (medians of 21 interleaved runs).
 * Each becomes an object with the one method string-width calls, which builds the real thing on
 * first use. cli/startup.test.ts fails if a run builds a segmenter again.
 */
const DEFERRED = [
  { init: 'new Intl.Segmenter()', method: 'segment' },
  { init: '/^\\p{RGI_Emoji}$/v', method: 'test' },
]
const escape = (s) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')

const deferStringWidthSetUp = {
  name: 'defer-string-width-set-up',
  transform(code, id) {
    if (!/[\\/]string-width[\\/]index\.js$/.test(id)) return null
    let out = code
    for (const { init, method } of DEFERRED) {
      out = out.replace(new RegExp(`^const (\\w+) = ${escape(init)};$`, 'm'), (_, name) =>
        `let ${name}Made;\nconst ${name} = {${method}: (s) => (${name}Made ??= ${init}).${method}(s)};`)
    }
    if (/^const \w+ = new Intl\.Segmenter\(/m.test(out)) this.warn(`${id}: an Intl.Segmenter is still built at load`)
    return out
  },
}

export default [
  {
    input: 'dist/cli/main.js',
    platform: 'node',
    external: ['@napi-rs/lzma'],
    plugins: [deferStringWidthSetUp],
    logLevel: 'warn',
    output: { file: 'dist/perf-orc.cjs', format: 'cjs', codeSplitting: false },
  },
  {
    input: 'dist/cli/launcher.js',
    platform: 'node',
    logLevel: 'warn',
    output: { file: 'dist/perf-orc.mjs', format: 'esm', banner: '#!/usr/bin/env node' },
  },
]
