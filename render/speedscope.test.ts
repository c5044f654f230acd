import { afterAll, describe, expect, it } from 'vitest'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { pathToFileURL } from 'node:url'
import type { Browser } from 'playwright-core'
import { SPEEDSCOPE_SCHEMA, renderSpeedscope, toSpeedscope } from './speedscope.js'
import { HOSTILE_SCRIPT, fixtureSamples } from './testdata/fixture-samples.js'
import { launchChromium } from './testdata/browser.js'

describe('speedscope JSON', () => {
  const file = toSpeedscope(fixtureSamples(), { name: 'fixture' })

  it('has the schema, one all-threads profile and one per thread', () => {
    expect(file.$schema).toBe(SPEEDSCOPE_SCHEMA)
    expect(file.profiles.map((p) => p.name)).toEqual([
      'all threads',
      'app-worker pid 100 tid 101',
      'app pid 100 tid 100',
      'java pid 200 tid 201',
    ])
    for (const p of file.profiles) {
      expect(p.type).toBe('sampled')
      expect(p.samples.length).toBe(p.weights.length)
      expect(p.weights.every((w) => w > 0)).toBe(true)
      expect(p.endValue).toBe(p.weights.reduce((a, b) => a + b, 0))
      for (const stack of p.samples) for (const id of stack) expect(file.shared.frames[id]).toBeDefined()
    }
    expect(file.profiles[0]!.endValue).toBe(185_000)
  })

  it('writes stacks root first and marks unreliable frames with "? "', () => {
    const names = (stack: number[]) => stack.map((id) => file.shared.frames[id]!.name)
    const all = file.profiles[0]!.samples.map(names)
    expect(all).toContainEqual(['__libc_start_main', 'main', 'compute', 'hot_loop'])
    expect(all).toContainEqual(['? [unknown]', '? parse', '? ' + HOSTILE_SCRIPT])
    expect(file.shared.frames.find((f) => f.name === 'vfs_write')!.file).toBe('[kernel.kallsyms]')
  })

  describe('loads in the speedscope package (node_modules/speedscope/dist/release)', () => {
    let browser: Browser | undefined
    afterAll(async () => browser?.close())

    it('imports without error and shows the profile name', async () => {
      // speedscope ships no Node importer; its CLI loads files through #localProfilePath=<js>, which
      // calls window.speedscope.loadFileFromBase64. Do the same in headless chromium.
      const dir = mkdtempSync(join(tmpdir(), 'perf-orc-ss-'))
      const b64 = Buffer.from(renderSpeedscope(fixtureSamples(), { name: 'fixture-profile' })).toString('base64')
      const loader = join(dir, 'load.js')
      writeFileSync(loader, `speedscope.loadFileFromBase64("fixture.speedscope.json", ${JSON.stringify(b64)})`)
      const release = dirname(createRequire(import.meta.url).resolve('speedscope/package.json')) + '/dist/release/index.html'
      browser = await launchChromium()
      const page = await browser.newPage()
      const problems: string[] = []
      page.on('pageerror', (e) => problems.push(String(e)))
      page.on('dialog', (d) => {
        problems.push(d.message())
        void d.dismiss()
      })
      await page.goto(pathToFileURL(release).href + '#localProfilePath=' + loader)
      await page.waitForFunction(() => document.title.includes('fixture-profile'), undefined, { timeout: 20_000 })
      expect(await page.title()).toBe('fixture-profile - speedscope')
      expect(problems).toEqual([])
    })
  })
})
