/** Headless Debian chromium for render/ browser tests (no downloads: playwright-core + /usr/bin/chromium). */
import { chromium, type Browser, type Page } from 'playwright-core'

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
]

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS })
}

/**
 * Resolves once the chart's geometry stops changing. d3-flame-graph sets widths and positions
 * through d3 transitions, which run on later animation frames even with duration 0, so a test
 * that reads geometry right after a click or a re-render must wait for them first.
 */
export async function chartSettled(page: Page): Promise<void> {
  await page.evaluate(async () => {
    const snapshot = () =>
      [...document.querySelectorAll('#chart g.frame')]
        .map((g) => `${g.getAttribute('transform')}|${g.querySelector('rect')?.getAttribute('width')}`)
        .join(';')
    const frame = () => new Promise((resolve) => requestAnimationFrame(resolve))
    let last = snapshot()
    let stable = 0
    for (let i = 0; i < 200 && stable < 3; i++) {
      await frame()
      const now = snapshot()
      stable = now === last && !now.includes('|null') ? stable + 1 : 0
      last = now
    }
  })
}
