import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, test } from 'vitest'
import { launchChromium } from '../helpers/chromium'
import { REPO_ROOT, startServe } from '../helpers/serve-process'
import { TestWsClient } from '../helpers/ws-client'

// Captures docs/screenshot.png: the default project (bundled samples) with a few instances on the coffee
// photograph, at 1440×900. Not part of the test run; refresh the picture with
//   npm run build && ROSE_SCREENSHOT=1 npx vitest run --project e2e test/e2e/screenshot.test.ts

/** A closed polygon approximating an ellipse, as the flat `x0 y0 x1 y1 …` ring the contract takes. */
function ellipse(cx: number, cy: number, rx: number, ry: number, from = 0, to = 2 * Math.PI, steps = 48): number[] {
  const ring: number[] = []
  for (let i = 0; i <= steps; i++) {
    const a = from + ((to - from) * i) / steps
    ring.push(Math.round((cx + rx * Math.cos(a)) * 10) / 10, Math.round((cy + ry * Math.sin(a)) * 10) / 10)
  }
  return ring
}

// Traced by eye on resources/samples/coffee.jpg (600×400).
const COFFEE: readonly { name: string; status: 'accepted' | 'proposed' | 'rejected'; polygon: number[] }[] = [
  { name: 'saucer', status: 'accepted', polygon: ellipse(278, 234, 202, 152) },
  {
    name: 'cup',
    status: 'accepted',
    polygon: [
      ...ellipse(291, 112, 117, 95, Math.PI, 2 * Math.PI, 32),
      406, 150, 394, 200, 374, 236, 342, 259, 296, 271, 252, 267, 217, 248, 193, 214, 179, 168
    ]
  },
  { name: 'coffee', status: 'proposed', polygon: ellipse(288, 143, 83, 48) },
  {
    name: 'spoon',
    status: 'proposed',
    polygon: [330, 282, 340, 252, 360, 240, 376, 214, 391, 140, 401, 82, 410, 68, 422, 74, 416, 110, 401, 170, 389, 234, 401, 254, 406, 284, 396, 311, 371, 325, 346, 320, 333, 304]
  },
  { name: 'handle', status: 'rejected', polygon: [198, 240, 230, 232, 255, 243, 262, 268, 252, 292, 228, 306, 205, 302, 196, 280] }
]

describe.runIf(process.env.ROSE_SCREENSHOT === '1')('docs/screenshot.png', () => {
  test('captures the annotation screen on a sample photograph', async () => {
    const scratch = mkdtempSync(join(tmpdir(), 'rose-shot-'))
    const server = await startServe([], { ROSE_DATA_DIR: join(scratch, 'data') })
    const ws = await TestWsClient.connect(server.origin, server.token)
    const context = await launchChromium(join(scratch, 'chromium'))
    try {
      const { items } = await ws.call('images:list', { offset: 0, limit: 100 })
      const coffee = items.find((i) => i.path.endsWith('coffee.jpg'))
      expect(coffee, 'the default project has the bundled samples').toBeDefined()
      for (const { name, status, polygon } of COFFEE) {
        await ws.call('instances:createFromPolygon', { imageId: coffee!.id, polygons: [polygon], categoryText: name, status })
      }
      // A little review history elsewhere, so the list shows its badges.
      const statuses = ['done', 'done', 'in-review', 'skipped'] as const
      for (const [i, image] of items.filter((i) => i.id !== coffee!.id).slice(0, statuses.length).entries()) {
        await ws.call('images:setStatus', { id: image.id, status: statuses[i]! })
      }

      const page = context.pages()[0] ?? (await context.newPage())
      await page.goto(server.url)
      await page.locator('[data-testid=image-list] .row', { hasText: 'coffee.jpg' }).click()
      await page.locator('[data-testid=instance-category]', { hasText: 'spoon' }).click()
      const box = (await page.locator('[data-testid=canvas]').boundingBox())!
      // Hover the coffee so the screenshot shows hover and selection at once.
      await page.mouse.move(box.x + box.width / 2 - 10, box.y + box.height / 2 - 70)
      await page.waitForTimeout(400)
      mkdirSync(join(REPO_ROOT, 'docs'), { recursive: true })
      await page.screenshot({ path: join(REPO_ROOT, 'docs/screenshot.png') })
    } finally {
      ws.close()
      await context.close()
      await server.stop()
      rmSync(scratch, { recursive: true, force: true })
    }
  })
})
