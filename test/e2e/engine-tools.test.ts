import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { launchChromium, waitForText as waitForTextIn, scenePixel as scenePixelIn } from '../helpers/chromium'
import { REPO_ROOT, startServe, type ServeProcess } from '../helpers/serve-process'
import { TestWsClient } from '../helpers/ws-client'

// The box tool and the export / annotation-import dialogs end to end: the built `serve` mode with its
// engine process, Debian's Chromium, a project holding one generated scene with known objects.


const SCENE = 'scene-few-medium-objects.png'
const truth = JSON.parse(readFileSync(join(REPO_ROOT, 'resources/samples/scenes.json'), 'utf8'))[SCENE] as {
  width: number
  height: number
  segments: { name: string; bbox: [number, number, number, number]; area: number }[]
}
const square = truth.segments.find((s) => s.name === 'yellow square')!

let projectDir: string
let exportDir: string
let server: ServeProcess
let ws: TestWsClient
let context: BrowserContext
let page: Page
const scratch: string[] = []

function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  scratch.push(dir)
  return dir
}

beforeAll(async () => {
  projectDir = tempDir('rose-e2e-engine-')
  copyFileSync(join(REPO_ROOT, 'resources/samples', SCENE), join(projectDir, SCENE))
  server = await startServe(['--project', projectDir])
  ws = await TestWsClient.connect(server.origin, server.token)
  // Image import through the UI is covered by annotate.test.ts; here it is only the setting.
  const { jobId } = await ws.call('images:import', { paths: [projectDir], recursive: true })
  await ws.waitForEvent('job:done', (p) => p.id === jobId)
  context = await launchChromium(tempDir('rose-e2e-chromium-'))
  page = context.pages()[0] ?? (await context.newPage())
})

afterAll(async () => {
  ws?.close()
  await context?.close()
  await server?.stop()
  for (const dir of scratch) rmSync(dir, { recursive: true, force: true })
})

const waitForText = (selector: string, text: string | RegExp, timeout?: number): Promise<void> => waitForTextIn(page, selector, text, timeout)

const scenePixel = (x: number, y: number): Promise<number[]> => scenePixelIn(page, x, y)

/** Page coordinates of an image pixel while the image is fitted in the view (24 px padding, centred). */
async function imageToPage(): Promise<(x: number, y: number) => [number, number]> {
  const view = (await page.locator('[data-testid=canvas]').boundingBox())!
  const zoom = Math.min((view.width - 48) / truth.width, (view.height - 48) / truth.height)
  const left = view.x + (view.width - truth.width * zoom) / 2
  const top = view.y + (view.height - truth.height * zoom) / 2
  return (x, y) => [left + x * zoom, top + y * zoom]
}

describe('box tool and export (serve mode with the engine, Chromium)', () => {
  test('a box dragged over an object shows the proposed mask, Enter names it, and the stored instance has the object\'s area', async () => {
    const pageErrors: string[] = []
    page.on('pageerror', (error) => pageErrors.push(error.message))
    await page.goto(server.url)
    await waitForText('[data-testid=status-image]', `${truth.width}×${truth.height}`)
    await waitForText('[data-testid=status-engine]', 'Engine · CPU', 90_000)

    const at = await imageToPage()
    const centre = at(square.bbox[0] + square.bbox[2] / 2, square.bbox[1] + square.bbox[3] / 2)
    const before = await scenePixel(...centre)

    await page.keyboard.press('b')
    await waitForText('[data-testid=status-bar]', 'Box · drag around an object')
    // A user's box: a few pixels of margin around the object.
    const [x, y, w, h] = square.bbox
    await page.mouse.move(...at(x - 3, y - 3))
    await page.mouse.down()
    await page.mouse.move(...at(x + w / 2, y + h / 2), { steps: 3 })
    await page.mouse.move(...at(x + w + 3, y + h + 3), { steps: 3 })
    await page.mouse.up()
    await waitForText('[data-testid=status-prompt]', /^\s*SAM [\d.]+ m?s · \d\.\d\d\s*$/, 60_000)
    const preview = await scenePixel(...centre)
    expect(preview).not.toEqual(before)

    await page.keyboard.press('Enter')
    await page.locator('[data-testid=category-input]').waitFor()
    await page.keyboard.type(square.name)
    await page.keyboard.press('Enter')
    await waitForText('[data-testid=instance-category]', square.name)
    // Stored masks take their category's colour: the proposal looked different.
    await expect.poll(() => scenePixel(...centre)).not.toEqual(preview)
    await waitForText('[data-testid=status-bar]', 'Box · drag around an object')

    const images = await ws.call('images:list', { offset: 0, limit: 10 })
    const stored = await ws.call('instances:list', { imageId: images.items[0]!.id })
    expect(stored).toHaveLength(1)
    expect(stored[0]).toMatchObject({ categoryText: square.name, status: 'accepted', source: 'human' })
    expect(stored[0]!.score).toBeGreaterThan(0.8)
    expect(Math.abs(stored[0]!.area - square.area) / square.area).toBeLessThan(0.08)
    stored[0]!.bbox.forEach((v, i) => expect(Math.abs(v - square.bbox[i]!)).toBeLessThanOrEqual(4))

    // The engine panel: each graph's device and providers, why CUDA is not used here and the fix.
    await page.click('[data-testid=status-engine]')
    await waitForText('[data-testid=engine-graphs]', 'sam-decoder')
    const cells = await page.locator('[data-testid=engine-graphs] tbody td').allTextContents()
    const rows = [cells.slice(0, 3), cells.slice(3, 6)].map((row) => row.map((c) => c.trim()))
    expect(rows.sort()).toEqual([
      ['sam-decoder', 'CPU', 'cpu'],
      ['sam-encoder', 'CPU', 'cpu']
    ])
    expect(await page.textContent('[data-testid=engine-state]')).toBe('Ready · CPU')
    expect(await page.textContent('[data-testid=engine-cuda]')).toContain('CUDA is not used.')
    expect(await page.textContent('[data-testid=engine-fix]')).toMatch(/\S/)
    await page.keyboard.press('Escape')
    await page.locator('[data-testid=engine-panel]').waitFor({ state: 'detached' })
    expect(pageErrors).toEqual([])
  })

  test('Ctrl+E exports through the dialog: live counts, then a COCO file with 1-based ids and the mask\'s area', async () => {
    const destination = (exportDir = tempDir('rose-e2e-export-'))
    await page.keyboard.press('Control+e')
    await page.locator('[data-testid=export-dialog]').waitFor()
    await waitForText('[data-testid=export-count-images]', '1')
    expect(await page.textContent('[data-testid=export-count-instances]')).toBe('1')
    expect(await page.textContent('[data-testid=export-count-categories]')).toBe('1')
    expect(await page.textContent('[data-testid=export-count-holes]')).toBe('0')
    await page.fill('[data-testid=export-destination]', destination)
    await page.click('[data-testid=export-start]')
    await page.locator('[data-testid=export-report]').waitFor({ timeout: 60_000 })
    expect(await page.textContent('[data-testid=export-summary]')).toContain('1 instance on 1 image, 1 category')
    expect(await page.locator('[data-testid=export-files] li').allTextContents()).toEqual(['instances.json'])
    await page.click('[data-testid=export-close]')

    const coco = JSON.parse(readFileSync(join(destination, 'instances.json'), 'utf8'))
    const [instance] = await ws.call('instances:list', { imageId: 1 })
    expect(coco.images).toEqual([expect.objectContaining({ id: 1, file_name: SCENE, width: truth.width, height: truth.height })])
    expect(coco.categories).toEqual([expect.objectContaining({ id: 1, name: square.name })])
    expect(coco.annotations).toHaveLength(1)
    expect(coco.annotations[0]).toMatchObject({ id: 1, image_id: 1, category_id: 1, iscrowd: 0, area: instance!.area, bbox: instance!.bbox })
    expect(coco.annotations[0].segmentation).toEqual({ size: [truth.height, truth.width], counts: instance!.rle.counts })
  })

  test('the annotation import dialog reports a re-imported instance as a duplicate and a bad one with its reason', async () => {
    const exported = JSON.parse(readFileSync(join(exportDir, 'instances.json'), 'utf8'))
    const broken = { ...exported.annotations[0], id: 2, category_id: 99 }
    writeFileSync(join(projectDir, 'labels.json'), JSON.stringify({ ...exported, annotations: [exported.annotations[0], broken] }))

    await page.click('[data-testid=open-import-annotations]')
    await page.fill('[data-testid=annotations-path]', join(projectDir, 'labels.json'))
    await page.click('[data-testid=annotations-start]')
    await page.locator('[data-testid=annotations-report]').waitFor({ timeout: 60_000 })
    expect(await page.textContent('[data-testid=annotations-imported]')).toContain('0 instances imported on 1 image')
    expect(await page.textContent('[data-testid=annotations-duplicates]')).toContain('1 instance already in the project')
    expect(await page.locator('[data-testid=annotations-problems] li').allTextContents()).toEqual([
      "annotation id 2category_id 99 is not in the file's categories"
    ])
    await page.click('[data-testid=annotations-close]')
    expect(await ws.call('instances:list', { imageId: 1 })).toHaveLength(1)
  })

  test('EXPECTED FAILURE – without an engine the box tool says so, and a polygon is still drawn and stored', async () => {
    const dir = tempDir('rose-e2e-no-engine-')
    copyFileSync(join(REPO_ROOT, 'resources/samples', SCENE), join(dir, SCENE))
    const bare = await startServe(['--project', dir, '--no-engine'])
    const client = await TestWsClient.connect(bare.origin, bare.token)
    const other = await context.newPage()
    try {
      const { jobId } = await client.call('images:import', { paths: [dir], recursive: true })
      await client.waitForEvent('job:done', (p) => p.id === jobId)
      await other.goto(bare.url)
      await other.locator('[data-testid=status-engine]', { hasText: 'No engine' }).waitFor({ timeout: 15_000 })
      await other.locator('[data-testid=status-image]', { hasText: '320×320' }).waitFor({ timeout: 15_000 })
      await other.keyboard.press('b')
      await other
        .locator('[data-testid=prompt-hint]', { hasText: 'The engine is not available (this app was started without an engine process). The polygon tool (P) still works.' })
        .waitFor({ timeout: 15_000 })
      const view = (await other.locator('[data-testid=canvas]').boundingBox())!
      const cx = view.x + view.width / 2
      const cy = view.y + view.height / 2
      await other.mouse.move(cx - 40, cy - 40)
      await other.mouse.down()
      await other.mouse.move(cx + 40, cy + 40, { steps: 3 })
      await other.mouse.up()
      await other.locator('[data-testid=status-prompt]', { hasText: 'SAM · engine unavailable' }).waitFor({ timeout: 15_000 })
      await other.locator('[data-testid=notice]', { hasText: 'Box/point: The engine is not available' }).waitFor()

      await other.keyboard.press('p')
      for (const [dx, dy] of [[-60, -60], [60, -60], [60, 60], [-60, 60]] as const) await other.mouse.click(cx + dx, cy + dy)
      await other.keyboard.press('Enter')
      await other.locator('[data-testid=category-input]').waitFor()
      await other.keyboard.type('region')
      await other.keyboard.press('Enter')
      await other.locator('[data-testid=instance-category]', { hasText: 'region' }).waitFor()
      expect(await client.call('instances:list', { imageId: 1 })).toEqual([expect.objectContaining({ categoryText: 'region', status: 'accepted' })])
    } finally {
      await other.close()
      client.close()
      await bare.stop()
    }
  })
})
