// Two outputs (see cli/launcher.ts): the CLI as one CommonJS file, dist/perf-orc.cjs, that the
// launcher runs as a vm.Script with V8's code cache; and the launcher itself, dist/perf-orc.mjs,
// the bin. Commands' dynamic imports are inlined: a vm.Script has no module loader for chunks.
export default [
  {
    input: 'dist/cli/main.js',
    platform: 'node',
    external: ['@napi-rs/lzma'],
    logLevel: 'warn',
    output: { file: 'dist/perf-orc.cjs', format: 'cjs', inlineDynamicImports: true },
  },
  {
    input: 'dist/cli/launcher.js',
    platform: 'node',
    logLevel: 'warn',
    output: { file: 'dist/perf-orc.mjs', format: 'esm', banner: '#!/usr/bin/env node' },
  },
]
