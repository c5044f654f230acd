import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import type { Browser, Page } from 'playwright-core'
import { renderFlamegraphHtml } from './flamegraph-html.js'
import { HOSTILE_IMG, HOSTILE_SCRIPT, fixtureMeta, fixtureSamples } from './testdata/fixture-samples.js'
import { chartSettled, launchChromium } from './testdata/browser.js'

const dir = mkdtempSync(join(tmpdir(), 'perf-orc-fg-'))
let browser: Browser
let page: Page
const pageErrors: string[] = []
const requests: string[] = []

/** Names and widths of the drawn frames. */
function frames(p: Page) {
  return p.$$eval('#chart g.frame', (gs) =>
    gs.map((g) => ({
      name: g.getAttribute('name') ?? '',
      width: Number(g.querySelector('rect')?.getAttribute('width') ?? 0),
      cls: g.getAttribute('class') ?? '',
      fill: getComputedStyle(g.querySelector('rect')!).fill,
    })),
  )
}

beforeAll(async () => {
  const file = join(dir, 'flame.html')
  writeFileSync(file, renderFlamegraphHtml(fixtureSamples(), fixtureMeta(), { reverse: true }))
  browser = await launchChromium()
  page = await browser.newPage({ viewport: { width: 1200, height: 800 } })
  page.on('pageerror', (e) => pageErrors.push(String(e)))
  page.on('request', (r) => {
    if (!r.url().startsWith('file:')) requests.push(r.url())
  })
  await page.goto(pathToFileURL(file).href)
  await page.waitForSelector('#chart g.frame')
  await chartSettled(page)
})

afterAll(async () => {
  await browser?.close()
})

describe('flamegraph HTML in chromium', () => {
  it('renders frames, header and the thread list without network or errors', async () => {
    const fs = await frames(page)
    expect(fs.length).toBeGreaterThan(20)
    expect(await page.textContent('#title')).toContain('cycles')
    expect(await page.textContent('#context')).toContain('build-box')
    expect(await page.textContent('#context')).toContain('<data.bin>')
    const options = await page.$$eval('#thread option', (os) => os.map((o) => o.textContent ?? ''))
    expect(options.some((o) => o.includes('tid 101 app-worker'))).toBe(true)
    expect(requests).toEqual([])
    expect(pageErrors).toEqual([])
  })

  it('shows hostile symbols as text and runs nothing', async () => {
    const labels = await page.$$eval('.d3-flame-graph-label', (ds) => ds.map((d) => d.textContent))
    expect(labels).toContain(HOSTILE_IMG)
    expect(labels).toContain('? ' + HOSTILE_SCRIPT)
    await page.hover(`#chart g.frame[name="${HOSTILE_IMG.replace(/"/g, '\\"')}"] rect`)
    expect(await page.textContent('#tooltip')).toContain(HOSTILE_IMG)
    expect(await page.$$eval('#chart img, #tooltip img', (x) => x.length)).toBe(0)
    expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined()
  })

  it('draws unreliable frames hatched, with class and a reason in the tooltip', async () => {
    const fs = await frames(page)
    const unreliable = fs.filter((f) => f.cls.split(' ').includes('unreliable'))
    expect(unreliable.map((f) => f.name)).toContain('? parse')
    expect(unreliable.every((f) => f.name.startsWith('? '))).toBe(true)
    expect(unreliable.every((f) => f.fill.startsWith('url('))).toBe(true)
    const parse = fs.find((f) => f.name === 'parse')!
    expect(parse.fill).toMatch(/^rgb/)
    expect(await page.$$eval('#chart rect.unreliable', (r) => r.length)).toBe(unreliable.length)
    await page.hover('#chart g.frame[name="? bpf_prog_123_trace"] rect')
    expect(await page.textContent('#tooltip')).toContain('kernel BPF/trampoline')
    await page.hover('#chart g.frame[name="? [unknown]"] rect')
    expect(await page.textContent('#tooltip')).toContain('no unwind table: frame-pointer guess')
  })

  it('colours kernel, user and JIT frames differently', async () => {
    const kinds = await page.$$eval('#chart g.frame:not(.unreliable)', (gs) =>
      gs.map((g) => [g.getAttribute('data-kind') ?? '', getComputedStyle(g.querySelector('rect')!).fill] as const),
    )
    const hueOf = (kind: string): string[] => kinds.filter(([k]) => k === kind).map(([, f]) => f)
    const [kernel, user, jit] = [hueOf('kernel'), hueOf('user'), hueOf('jit')]
    expect(kernel.length && user.length && jit.length).toBeTruthy()
    // Kernel frames are blue-dominant, JIT green-dominant, user red-dominant.
    const rgb = (s: string) => s.match(/\d+/g)!.map(Number)
    expect(kernel.every((c) => rgb(c)[2]! > rgb(c)[0]!)).toBe(true)
    expect(jit.every((c) => rgb(c)[1]! > rgb(c)[0]!)).toBe(true)
    expect(user.every((c) => rgb(c)[0]! > rgb(c)[2]!)).toBe(true)
  })

  it('searches literally and by regex; a bad regex is flagged, not thrown', async () => {
    await page.fill('#search', 'compute')
    let hits = (await frames(page)).filter((f) => f.fill === 'rgb(230, 0, 230)')
    expect(hits.map((f) => f.name)).toEqual(['compute'])
    expect(await page.textContent('#search-status')).toContain('Matched')
    await page.check('#regex')
    await page.fill('#search', '^(hot_|mem)')
    hits = (await frames(page)).filter((f) => f.fill === 'rgb(230, 0, 230)')
    expect(hits.map((f) => f.name).sort()).toEqual(['hot_loop', 'memcpy'])
    await page.fill('#search', 'operator(')
    expect(await page.getAttribute('#search', 'class')).toContain('invalid')
    expect(await page.textContent('#search-status')).toContain('invalid regex')
    expect((await frames(page)).filter((f) => f.fill === 'rgb(230, 0, 230)')).toEqual([])
    expect(pageErrors).toEqual([])
    await page.click('#clear')
    await page.uncheck('#regex')
  })

  it('zooms on click and resets', async () => {
    const full = (await frames(page)).find((f) => f.name === 'all')!.width
    const before = (await frames(page)).find((f) => f.name === 'compute')!.width
    expect(before).toBeLessThan(full * 0.9)
    const computeWidth = async () => (await frames(page)).find((f) => f.name === 'compute')!.width
    await page.click('#chart g.frame[name="compute"] rect')
    await chartSettled(page)
    expect(await computeWidth()).toBeCloseTo(full, 0)
    await page.hover('#chart g.frame[name="hot_loop"] rect')
    expect(await page.textContent('#tooltip')).toContain('of zoomed frame')
    await page.click('#reset')
    await chartSettled(page)
    expect(await computeWidth()).toBeCloseTo(before, 0)
  })

  it('filters by thread and switches views and orientation', async () => {
    const javaIndex = await page.$eval('#thread', (s) =>
      [...(s as HTMLSelectElement).options].find((o) => o.textContent!.includes('tid 201'))!.value,
    )
    await page.selectOption('#thread', javaIndex)
    await chartSettled(page)
    let names = (await frames(page)).map((f) => f.name)
    expect(names).toContain('Interpreter')
    expect(names).not.toContain('hot_loop')
    await page.selectOption('#thread', 'all')
    await chartSettled(page)
    names = (await frames(page)).map((f) => f.name)
    expect(names).toContain('hot_loop')

    const rootY = () => page.$eval('#chart g.frame[name="all"]', (g) => g.getAttribute('transform'))
    const bottom = await rootY()
    await page.check('#inverted')
    await chartSettled(page)
    expect(await rootY()).not.toBe(bottom)
    await page.uncheck('#inverted')
    await chartSettled(page)

    await page.selectOption('#view', '1')
    await chartSettled(page)
    const rootKids = await page.$$eval('#chart g.frame', (gs) => gs.length)
    expect(rootKids).toBeGreaterThan(10)
    await page.screenshot({ path: join(dir, 'reversed.png') })
    await page.selectOption('#view', '0')
    await chartSettled(page)
    await page.screenshot({ path: join(tmpdir(), 'perf-orc-flamegraph.png'), fullPage: true })
    expect(pageErrors).toEqual([])
  })

  it('opens an empty profile without errors', async () => {
    const file = join(dir, 'empty.html')
    writeFileSync(file, renderFlamegraphHtml([], { events: [], lostSamples: 0 }))
    const p = await browser.newPage()
    const errs: string[] = []
    p.on('pageerror', (e) => errs.push(String(e)))
    await p.goto(pathToFileURL(file).href)
    await p.waitForSelector('#chart svg')
    await p.fill('#search', 'x')
    expect(errs).toEqual([])
  })
})
