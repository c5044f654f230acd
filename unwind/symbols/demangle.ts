/**
 * C++ (Itanium) and Rust symbol demangling through gecko-profiler-demangle, the Firefox
 * profiler's WebAssembly build of the Rust `cpp_demangle` and `rustc-demangle` crates.
 * Its package entry imports the .wasm as an ES module (a bundler convention Node 20 does not
 * support), so we instantiate the wasm ourselves and hand it to the package's JS glue, which is
 * imported statically so that the bundle holds it (no dynamic import at run time). C++ names are
 * then rewritten the way perf prints them (perf-style.ts); Rust names, legacy and v0, already match
 * perf's (cli/script-vs-perf.test.ts compares both on a Rust program).
 */
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import * as glue from 'gecko-profiler-demangle/index_bg.js'
import { perfStyle } from './perf-style.js'

type DemangleFn = (name: string) => string
let demangleAny: DemangleFn | undefined
const cache = new Map<string, string>()

/**
 * The wasm (520 KB) is compiled and instantiated on the first mangled name, synchronously: with
 * Liftoff only (cli/launcher.ts) that is a few ms, which a profile of C code never pays.
 */
function loadDemangler(): DemangleFn {
  const require = createRequire(import.meta.url)
  const dir = dirname(require.resolve('gecko-profiler-demangle/package.json'))
  const module = new WebAssembly.Module(readFileSync(join(dir, 'index_bg.wasm')))
  const instance = new WebAssembly.Instance(module, { './index_bg.js': glue as unknown as WebAssembly.ModuleImports })
  glue.__wbg_set_wasm(instance.exports)
  const start = instance.exports['__wbindgen_start']
  if (typeof start === 'function') (start as () => void)()
  return glue.demangle_any
}

const PLT_SUFFIX = '@plt'

/** Demangled name as perf prints it (perfStyle), or the input unchanged when it is not a mangled name. */
export function demangle(name: string): string {
  if (!(name.startsWith('_Z') || name.startsWith('_R') || name.startsWith('__Z'))) return name
  // A synthesized PLT stub: perf demangles the symbol, then appends "@plt" (dso__synthesize_plt_symbols).
  if (name.endsWith(PLT_SUFFIX)) return demangle(name.slice(0, -PLT_SUFFIX.length)) + PLT_SUFFIX
  let out = cache.get(name)
  if (out === undefined) {
    const fn = (demangleAny ??= loadDemangler())
    const full = tryDemangle(fn, name)
    if (full !== undefined) out = name.startsWith('_R') ? full : perfStyle(name, full)
    else out = name.startsWith('_Z') ? namePart(fn, name) ?? name : name
    cache.set(name, out)
  }
  return out
}

/** cpp_demangle's rendering, or undefined where it fails (it then returns the input without its '_'). */
function tryDemangle(fn: DemangleFn, name: string): string | undefined {
  try {
    const full = fn(name)
    return full === name || full === name.slice(1) ? undefined : full
  } catch {
    return undefined
  }
}

/** Prefixes tried at most for one name that cpp_demangle cannot read whole. */
const MAX_PREFIXES = 64

/**
 * A function name cpp_demangle cannot read whole, usually for an expression in its return type
 * (std::__fill_a1's enable_if<__is_scalar<T>::__value>). perf prints no signature, so the name
 * alone will do: the longest prefix that ends a name ('E' closes a nested name or template
 * arguments) and demangles is read as the name and the rest dropped.
 */
function namePart(fn: DemangleFn, name: string): string | undefined {
  let tries = 0
  for (let cut = name.lastIndexOf('E', name.length - 2); cut > 2 && tries < MAX_PREFIXES; cut = name.lastIndexOf('E', cut - 1), tries++) {
    const prefix = name.slice(0, cut + 1)
    const full = tryDemangle(fn, prefix)
    if (full !== undefined) return perfStyle(prefix, full)
  }
  return undefined
}
