import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { launchChromium, waitForText as waitForTextIn, scenePixel as scenePixelIn } from '../helpers/chromium'
import { REPO_ROOT, startServe, type ServeProcess } from '../helpers/serve-process'

// The annotation screen end to end: the built `serve` mode, Debian's Chromium, a real project on disk.


const MIXED_DIR = join(REPO_ROOT, 'test/fixtures/images/mixed')
const expectedImport = JSON.parse(readFileSync(join(REPO_ROOT, 'test/fixtures/images/mixed.expected.json'), 'utf8')) as {
  imported: string[]
  skippedDuplicates: { item: string; duplicateOf: string }[]
  failed: { item: string; reason: string }[]
}

let server: ServeProcess
let context: BrowserContext
let page: Page
const scratch: string[] = []

function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  scratch.push(dir)
  return dir
}

beforeAll(async () => {
  server = await startServe(['--project', tempDir('rose-e2e-project-'), '--no-samples'])
  context = await launchChromium(tempDir('rose-e2e-chromium-'))
  page = context.pages()[0] ?? (await context.newPage())
})

afterAll(async () => {
  await context?.close()
  await server?.stop()
  for (const dir of scratch) rmSync(dir, { recursive: true, force: true })
})

/** Waits until an element matching `selector` contains `text`. */
const waitForText = (selector: string, text: string | RegExp, timeout?: number): Promise<void> => waitForTextIn(page, selector, text, timeout)

/** The status text of each row of the instance list, in order. */
async function instanceStatuses(): Promise<string[]> {
  return page.locator('[data-testid=instance-list] [data-testid=instance-status]').allTextContents()
}

async function waitForStatuses(expected: string[]): Promise<void> {
  await expect.poll(instanceStatuses, { timeout: 15_000 }).toEqual(expected)
}

const scenePixel = (x: number, y: number): Promise<number[]> => scenePixelIn(page, x, y)

describe('annotation screen (serve mode, Chromium)', () => {
  test('EXPECTED FAILURE – a page opened without the token or with a wrong one is refused with a clear message', async () => {
    const refused = await context.newPage()
    try {
      for (const url of [`${server.origin}/`, `${server.origin}/?token=not-the-token`]) {
        const response = await refused.goto(url)
        expect(response?.status()).toBe(401)
        expect(await refused.locator('h1').textContent()).toBe('This ROSE Studio server needs its access token')
        expect(await refused.textContent('body')).toContain('?token=')
      }
    } finally {
      await refused.close()
    }
  })

  test('imports a folder of good and bad images, draws, names and accepts a polygon, keeps it across a reload, and undoes it', async () => {
    const pageErrors: string[] = []
    page.on('pageerror', (error) => pageErrors.push(error.message))

    await page.goto(server.url)
    await waitForText('[data-testid=status-bar]', 'WebSocket · connected')
    await waitForText('[data-testid=image-count]', '0')

    // Import: good files land, the duplicate is skipped, every bad file is reported by name with its reason.
    await page.click('[data-testid=open-import]')
    await page.fill('[data-testid=import-path]', MIXED_DIR)
    await page.click('[data-testid=import-start]')
    await page.locator('[data-testid=import-report]').waitFor({ timeout: 60_000 })
    expect(await page.textContent('[data-testid=import-imported]')).toContain(`${expectedImport.imported.length} images imported`)
    expect(await page.textContent('[data-testid=import-report]')).toContain(`${expectedImport.skippedDuplicates.length} duplicates skipped`)
    const failures = await page.locator('[data-testid=import-failures] li').allTextContents()
    expect(failures).toHaveLength(expectedImport.failed.length)
    for (const { item, reason } of expectedImport.failed) {
      expect(failures.some((line) => line.includes(item) && line.includes(reason)), `${item}: ${reason}`).toBe(true)
    }
    await page.click('[data-testid=import-close]')
    await waitForText('[data-testid=image-count]', String(expectedImport.imported.length))

    // Open a photograph from the list.
    await page.locator('[data-testid=image-list] .row', { hasText: 'photo.jpg' }).click()
    await waitForText('[data-testid=status-image]', '64×48')
    await expect.poll(() => page.locator('[data-testid=instance-list] li').count()).toBe(0)

    // Draw a quadrilateral with the polygon tool (P), close it with Enter, name it.
    const box = (await page.locator('[data-testid=canvas]').boundingBox())!
    const cx = box.x + box.width / 2
    const cy = box.y + box.height / 2
    const before = await scenePixel(cx, cy)
    await page.keyboard.press('p')
    for (const [dx, dy] of [
      [-150, -120],
      [150, -120],
      [160, 120],
      [-140, 130]
    ] as const) {
      await page.mouse.click(cx + dx, cy + dy)
    }
    await waitForText('[data-testid=status-bar]', 'Polygon · 4 vertices')
    await page.keyboard.press('Enter')
    await page.locator('[data-testid=category-input]').waitFor()
    await page.keyboard.type('widget')
    await page.keyboard.press('Enter')
    await waitForText('[data-testid=instance-category]', 'widget')
    await waitForStatuses(['accepted'])
    // The mask is drawn where the polygon was.
    await expect.poll(() => scenePixel(cx, cy)).not.toEqual(before)

    // Review keys on the selected instance: R rejects, E accepts.
    await page.keyboard.press('v')
    await page.keyboard.press('r')
    await waitForStatuses(['rejected'])
    await page.keyboard.press('e')
    await waitForStatuses(['accepted'])

    // A reload comes back to the same image with the accepted instance, read from the project on disk.
    await page.reload()
    await waitForText('[data-testid=status-bar]', 'WebSocket · connected')
    await waitForText('[data-testid=status-image]', '64×48')
    await waitForText('[data-testid=instance-category]', 'widget')
    await waitForStatuses(['accepted'])
    await expect.poll(() => scenePixel(cx, cy)).not.toEqual(before)

    // Undo walks back through the persisted history: the accept, the reject, then the drawing itself.
    await page.keyboard.press('Control+z')
    await waitForStatuses(['rejected'])
    await page.keyboard.press('Control+z')
    await waitForStatuses(['accepted'])
    await page.keyboard.press('Control+z')
    await waitForStatuses([])
    await waitForText('[data-testid=notice]', 'Undid: Draw polygon')
    await expect.poll(() => scenePixel(cx, cy)).toEqual(before)

    // And redo brings it back.
    await page.keyboard.press('Control+Shift+z')
    await waitForStatuses(['accepted'])

    expect(pageErrors).toEqual([])
  })
})
