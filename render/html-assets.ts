/**
 * The vendored browser code inlined into every HTML output, read from the installed packages at render
 * time so the file opens from disk with no network. Neither package exports its dist files
 * (ERR_PACKAGE_PATH_NOT_EXPORTED), so resolve the main entry and read its siblings.
 */
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'

export interface HtmlAssets {
  d3Js: string
  flamegraphJs: string
  flamegraphCss: string
  /** License lines to keep next to the inlined code. */
  notices: string[]
}

let cached: HtmlAssets | undefined

/** d3 (UMD, global `d3`) and d3-flame-graph (UMD, global `flamegraph.default`). Read once per process. */
export function loadHtmlAssets(): HtmlAssets {
  if (cached !== undefined) return cached
  const require = createRequire(import.meta.url)
  // require.resolve('d3') → node_modules/d3/dist/d3.mjs (d3.min.js is its sibling).
  const d3Dir = dirname(require.resolve('d3'))
  // require.resolve('d3-flame-graph') → node_modules/d3-flame-graph/dist/d3-flamegraph.umd.js.
  const fgDir = dirname(require.resolve('d3-flame-graph'))
  cached = {
    d3Js: readFileSync(join(d3Dir, 'd3.min.js'), 'utf8'),
    flamegraphJs: readFileSync(join(fgDir, 'd3-flamegraph.umd.min.js'), 'utf8'),
    flamegraphCss: readFileSync(join(fgDir, 'd3-flamegraph.css'), 'utf8'),
    notices: [
      'd3 v7 - https://d3js.org - ISC License, Copyright 2010-2026 Mike Bostock',
      'd3-flame-graph 5 - https://github.com/spiermar/d3-flame-graph - Apache License 2.0, Copyright Martin Spier',
    ],
  }
  return cached
}
