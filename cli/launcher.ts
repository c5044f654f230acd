/**
 * The perf-orc bin (bundled to dist/perf-orc.mjs): runs the CLI bundle next to it
 * (dist/perf-orc.cjs) as a vm.Script with V8's code cache (dist/perf-orc.cache), so a run starts
 * from the bytecode of the code it needs instead of parsing and compiling 770 KB of JavaScript.
 * `script` on the fp.data fixture: 0.29 s before, 0.24 s with the cache; on the 55 MB V8 recording
 * 1.28–1.33 s before, 1.08–1.18 s with it (interleaved medians, two rounds).
 *
 * The cache is written at build time (package.json `build`) by a `script --no-cache` run over a
 * shipped recording with PERF_ORC_WRITE_CODE_CACHE=FILE: at exit, V8 serializes the bytecode of
 * every function compiled by then. V8 rejects a cache made by another V8 version, for other
 * source or under other flags, and then compiles as usual (a stale or foreign cache costs speed,
 * never correctness). PERF_ORC_CODE_CACHE_REPORT=1 prints whether it was used.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { setFlagsFromString } from 'node:v8'
import vm from 'node:vm'

// V8 keys a code cache to its flags, so the one flag perf-orc sets is set here, before the cache is
// made or read. perf-orc's only WebAssembly is the demangler, which runs a few hundred to a few
// thousand calls: baseline (Liftoff) code only, no tier-up. 741 names of the 55 MB V8 recording
// took a median of 44 ms so, 71 ms with tier-up.
setFlagsFromString('--liftoff-only')

const dir = dirname(fileURLToPath(import.meta.url))
const bundle = join(dir, 'perf-orc.cjs')
const cacheFile = join(dir, 'perf-orc.cache')

const source = readFileSync(bundle, 'utf8')
const cachedData = existsSync(cacheFile) ? readFileSync(cacheFile) : undefined
const script = new vm.Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, {
  filename: bundle,
  cachedData,
  // Dependencies may import() Node built-ins; the script has no module loader of its own.
  importModuleDynamically: ((specifier: string) => import(specifier)) as unknown as vm.ScriptOptions['importModuleDynamically'],
})
if (process.env.PERF_ORC_CODE_CACHE_REPORT) {
  process.stderr.write(`perf-orc: code cache ${cachedData === undefined ? 'missing' : script.cachedDataRejected ? 'rejected' : 'used'}\n`)
}
const writeTo = process.env.PERF_ORC_WRITE_CODE_CACHE
if (writeTo) process.once('exit', () => writeFileSync(writeTo, script.createCachedData()))

const run = script.runInThisContext() as (exports: object, require: NodeJS.Require, module: object, filename: string, dirname: string) => void
const module = { exports: {} }
run(module.exports, createRequire(bundle), module, bundle, dir)
