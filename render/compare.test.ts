import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import type { Browser, Page } from 'playwright-core'
import { classifyStacks, compareJson, compareText, renderCompareHtml, type CompareFrame, type CompareSample } from './compare.js'
import { fixtureMeta } from './testdata/fixture-samples.js'
import { chartSettled, launchChromium } from './testdata/browser.js'

const fr = (symbol: string, addr: number): CompareFrame => ({ addr, symbol, dso: '/usr/bin/app' })
const [start, main, c, b, leaf, nofp, callerX] = [
  fr('_start', 0x1000), fr('main', 0x1100), fr('c', 0x1200), fr('b', 0x1300), fr('leaf', 0x1400), fr('nofp_leaf', 0x1500), fr('caller_x', 0x1600),
]

function rep(n: number, fp: CompareFrame[], orc: CompareFrame[], tid = 7): CompareSample[] {
  return Array.from({ length: n }, () => ({ pid: 7, tid, comm: 'app', fp, orc }))
}

const samples: CompareSample[] = [
  ...rep(10, [leaf, b, c, main, start], [leaf, b, c, main, start]),
  ...rep(5, [leaf, b], [leaf, b, c, main, start], 8),
  ...rep(4, [nofp, c, main, start], [nofp, callerX, c, main, start]),
  ...rep(2, [leaf, b, c, main], [leaf, b]),
]

describe('FP vs ORC comparison', () => {
  it('classifies stack pairs', () => {
    expect(classifyStacks([leaf, b], [leaf, b])).toBe('identical')
    expect(classifyStacks([leaf], [leaf, b])).toBe('fpShorter')
    expect(classifyStacks([leaf, b], [leaf])).toBe('orcShorter')
    expect(classifyStacks([leaf, c], [leaf, b, c])).toBe('differ')
    expect(classifyStacks([], [])).toBe('identical')
  })

  it('counts outcomes and where the FP chain breaks', () => {
    const r = compareJson(samples)
    expect(r).toMatchObject({ samples: 21, identical: 10, fpShorter: 5, orcShorter: 2, differ: 4 })
    expect(r.fpBreaks.map((x) => [x.function, x.count])).toEqual([
      ['b', 5],
      ['caller_x', 4],
    ])
    expect(r.orcBreaks.map((x) => [x.function, x.count])).toEqual([['b', 2]])
    const text = compareText(r)
    expect(text).toMatch(/identical +10 +47\.62%/)
    expect(text).toMatch(/FP shorter +5 +23\.81%/)
    expect(text).toMatch(/ +5 +23\.81% +b +app/)
  })

  describe('differential flamegraph in chromium', () => {
    let browser: Browser
    let page: Page
    const errors: string[] = []
    const fill = (name: string) => page.$eval(`#chart g.frame[name="${name}"] rect`, (r) => getComputedStyle(r).fill)

    beforeAll(async () => {
      const dir = mkdtempSync(join(tmpdir(), 'perf-orc-diff-'))
      const file = join(dir, 'diff.html')
      writeFileSync(file, renderCompareHtml(samples, fixtureMeta()))
      browser = await launchChromium()
      page = await browser.newPage({ viewport: { width: 1000, height: 600 } })
      page.on('pageerror', (e) => errors.push(String(e)))
      await page.goto(pathToFileURL(file).href)
      await page.waitForSelector('#chart g.frame')
      await chartSettled(page)
    })
    afterAll(async () => browser?.close())

    it('sizes by ORC and colours by FP deficit', async () => {
      expect(await fill('caller_x')).toBe('rgb(220, 35, 35)')
      expect(await fill('leaf')).toBe('rgb(235, 235, 235)')
      const main = await fill('main')
      expect(main).not.toBe('rgb(235, 235, 235)')
      await page.hover('#chart g.frame[name="main"] rect')
      expect(await page.textContent('#tooltip')).toContain('lost by the FP walk: 9 (47.37%)')
      await page.screenshot({ path: join(tmpdir(), 'perf-orc-diff.png') })
    })

    it('toggles the reversed view', async () => {
      await page.selectOption('#view', '1')
      await chartSettled(page)
      const rootKids = await page.$$eval('#chart g.frame', (gs) => gs.map((g) => g.getAttribute('name')))
      expect(rootKids).toContain('nofp_leaf')
      // In the reversed tree the leaf functions sit directly on the root: same total as the root.
      const widths = await page.$$eval('#chart g.frame', (gs) =>
        Object.fromEntries(gs.map((g) => [g.getAttribute('name'), Number(g.querySelector('rect')!.getAttribute('width'))])),
      )
      expect(widths['leaf']! + widths['nofp_leaf']!).toBeCloseTo(widths['all (ORC)']!, 0)
      const starts = await page.$$eval('#chart g.frame[name="_start"] rect', (rs) => rs.map((r) => getComputedStyle(r).fill))
      expect(starts.sort()).toEqual(['rgb(220, 35, 35)', 'rgb(230, 168, 168)'])
      expect(errors).toEqual([])
    })
  })
})
