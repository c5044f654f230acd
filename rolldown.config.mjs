// The CLI bundle: dist/perf-orc.mjs plus one chunk per command (cli/main.ts imports commands on
// demand), so a run compiles only the code its command needs.
export default {
  input: 'dist/cli/main.js',
  platform: 'node',
  external: ['@napi-rs/lzma'],
  logLevel: 'warn',
  output: {
    dir: 'dist',
    format: 'esm',
    entryFileNames: 'perf-orc.mjs',
    chunkFileNames: 'chunks/[name]-[hash].mjs',
  },
}
