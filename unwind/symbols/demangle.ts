/**
 * C++ (Itanium) and Rust symbol demangling through gecko-profiler-demangle, the Firefox
 * profiler's WebAssembly build of the Rust `cpp_demangle` and `rustc-demangle` crates.
 * Its package entry imports the .wasm as an ES module (a bundler convention Node 20 does not
 * support), so we instantiate the wasm ourselves and hand it to the package's JS glue, which is
 * imported statically so that the bundle holds it (no dynamic import at run time).
 */
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import * as glue from 'gecko-profiler-demangle/index_bg.js'

type DemangleFn = (name: string) => string
let demangleAny: DemangleFn | undefined
const cache = new Map<string, string>()

export async function initDemangler(): Promise<void> {
  if (demangleAny) return
  const require = createRequire(import.meta.url)
  const dir = dirname(require.resolve('gecko-profiler-demangle/package.json'))
  const bytes = readFileSync(join(dir, 'index_bg.wasm'))
  const imports = { './index_bg.js': glue as unknown as WebAssembly.ModuleImports }
  const { instance } = await WebAssembly.instantiate(bytes, imports)
  glue.__wbg_set_wasm(instance.exports)
  const start = instance.exports['__wbindgen_start']
  if (typeof start === 'function') (start as () => void)()
  demangleAny = glue.demangle_any
}

/** Demangled name, or the input unchanged when it is not a mangled name (or init never ran). */
export function demangle(name: string): string {
  if (!demangleAny || !(name.startsWith('_Z') || name.startsWith('_R') || name.startsWith('__Z'))) return name
  let out = cache.get(name)
  if (out === undefined) {
    try {
      out = demangleAny(name)
    } catch {
      out = name
    }
    cache.set(name, out)
  }
  return out
}
