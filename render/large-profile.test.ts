import { afterAll, describe, expect, it } from 'vitest'
import { copyFileSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import type { Browser } from 'playwright-core'
import { renderFlamegraphHtml } from './flamegraph-html.js'
import { realisticMeta, realisticSamples } from './testdata/realistic-samples.js'
import { chartSettled, launchChromium } from './testdata/browser.js'

/** Set PERF_ORC_DOCS_SCREENSHOT=1 to keep this test's screenshot (synthetic data) in docs/. */
const DOCS_PNG = join(dirname(fileURLToPath(import.meta.url)), '..', 'docs', 'flamegraph-synthetic.png')

describe('large realistic profile in chromium', () => {
  let browser: Browser | undefined
  afterAll(async () => browser?.close())

  it('renders 100k samples and zooms without errors', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'perf-orc-large-'))
    const file = join(dir, 'large.html')
    writeFileSync(file, renderFlamegraphHtml(realisticSamples(100_000), realisticMeta(100_000), { reverse: true }))
    browser = await launchChromium()
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } })
    const errors: string[] = []
    page.on('pageerror', (e) => errors.push(String(e)))
    await page.goto(pathToFileURL(file).href)
    await page.waitForSelector('#chart g.frame')
    await chartSettled(page)
    expect(await page.$$eval('#chart g.frame', (g) => g.length)).toBeGreaterThan(50)
    expect(await page.$$eval('#chart g.unreliable', (g) => g.length)).toBeGreaterThan(3)
    // Hover the widest "? aesni_gcm_encrypt" so the screenshot shows an unreliable frame's tooltip.
    const boxes = await page.$$eval('#chart g.frame[name="? aesni_gcm_encrypt"] rect', (rs) =>
      rs.map((r) => r.getBoundingClientRect()).map((b) => ({ x: b.x + b.width / 2, y: b.y + b.height / 2, w: b.width })),
    )
    const widest = boxes.sort((a, b) => b.w - a.w)[0]!
    await page.mouse.move(widest.x, widest.y)
    expect(await page.textContent('#tooltip')).toContain('no unwind table: frame-pointer guess')
    const shot = join(tmpdir(), 'perf-orc-large.png')
    await page.screenshot({ path: shot })
    if (process.env.PERF_ORC_DOCS_SCREENSHOT === '1') {
      mkdirSync(dirname(DOCS_PNG), { recursive: true })
      copyFileSync(shot, DOCS_PNG)
    }
    await page.click('#chart g.frame[name="ngx_http_core_run_phases"] rect')
    await chartSettled(page)
    const width = await page.$eval('#chart g.frame[name="ngx_http_core_run_phases"] rect', (r) => Number(r.getAttribute('width')))
    expect(width).toBeGreaterThan(1300)
    expect(errors).toEqual([])
  })
})
