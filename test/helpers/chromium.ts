/** Debian's Chromium for the end-to-end tests (headless, offline, one fixed window size) and what they read from its pages. */
import { chromium, type BrowserContext, type Page } from 'playwright-core'

// No sandbox (CI runs as root), no GPU, and nothing that reaches the network on its own.
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync'
]

/** Starts /usr/bin/chromium with its profile in `userDataDir` and a 1440×900 viewport. */
export function launchChromium(userDataDir: string): Promise<BrowserContext> {
  return chromium.launchPersistentContext(userDataDir, {
    executablePath: '/usr/bin/chromium',
    args: CHROMIUM_ARGS,
    viewport: { width: 1440, height: 900 }
  })
}

/** Waits until an element matching `selector` shows `text`. */
export async function waitForText(page: Page, selector: string, text: string | RegExp, timeout = 15_000): Promise<void> {
  await page.locator(selector, { hasText: text }).first().waitFor({ state: 'visible', timeout })
}

/** The parts of a canvas element read in the page (the tests are type-checked without the DOM library). */
interface PageCanvas {
  readonly width: number
  getBoundingClientRect(): { left: number; top: number; width: number }
  getContext(kind: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: ArrayLike<number> } }
}

/** The scene canvas pixel (RGBA) at a point of the page, read in the page itself. */
export async function scenePixel(page: Page, x: number, y: number): Promise<number[]> {
  return page
    .locator('[data-testid=canvas] canvas')
    .first()
    .evaluate(
      (element, [px, py]) => {
        const el = element as unknown as PageCanvas
        const rect = el.getBoundingClientRect()
        const scale = el.width / rect.width
        const { data } = el.getContext('2d').getImageData(Math.round((px! - rect.left) * scale), Math.round((py! - rect.top) * scale), 1, 1)
        return Array.from(data)
      },
      [x, y]
    )
}
