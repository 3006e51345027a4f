import { copyFileSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { launchChromium } from '../helpers/chromium'
import { REPO_ROOT, startServe, type ServeProcess } from '../helpers/serve-process'
import { TestWsClient } from '../helpers/ws-client'

// The keyboard of the annotation screen end to end (docs/ui.md, "Keyboard"): A/D and the arrows walk
// the images in list order, Delete removes the selected instance (Ctrl+Z brings it back), Esc deselects,
// `?` opens the cheat sheet and Esc closes it, F2 / C rename the selected instance's category, and keys
// typed into a text field stay letters. The built `serve` mode without an engine, Debian's Chromium,
// a project of three images whose instances are stored through the WebSocket API.


const FIXTURES = join(REPO_ROOT, 'test/fixtures/images/mixed')
const IMAGE_FILES = ['photo.jpg', 'paletted.bmp', 'transparent.png']

interface ListedImage {
  id: number
  name: string
  width: number
  height: number
}

let server: ServeProcess
let ws: TestWsClient
let context: BrowserContext
let page: Page
/** The project's images in list order, as the API lists them. */
let images: ListedImage[]
const pageErrors: string[] = []
const scratch: string[] = []
/** Every call the page sent over its WebSocket, in order (`{type: 'call', channel, request}` frames). */
const pageCalls: { channel: string; request: any }[] = []
const WAIT_MS = 15_000

function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  scratch.push(dir)
  return dir
}

function baseName(path: string): string {
  return path.split(/[\\/]/).at(-1) ?? path
}

/** Stores an accepted rectangle (a fraction of the image) named `name` on an image, through the API. */
async function storeRectangle(image: ListedImage, name: string, [x0, y0, x1, y1]: readonly [number, number, number, number]): Promise<number> {
  const [l, t, r, b] = [x0 * image.width, y0 * image.height, x1 * image.width, y1 * image.height]
  const instance = await ws.call('instances:createFromPolygon', {
    imageId: image.id,
    polygons: [[l, t, r, t, r, b, l, b]],
    categoryText: name,
    status: 'accepted'
  })
  return instance.id
}

/** The stored instances of an image as `id → category`, read through the WebSocket API. */
async function storedInstances(imageId: number): Promise<Record<number, string>> {
  const list = await ws.call('instances:list', { imageId })
  return Object.fromEntries(list.map((i) => [i.id, i.categoryText]))
}

/** What the screen says is open: the status bar's position, the list's highlighted row and the info panel's file name. */
async function openImage(): Promise<{ position: string; rowId: number | null; rowName: string; file: string }> {
  const row = page.locator('[data-testid=image-list] .row.current')
  const rows = await row.count()
  return {
    position: ((await page.locator('[data-testid=status-image]').textContent()) ?? '').replace(/\s+/g, ' ').trim(),
    rowId: rows === 1 ? Number(await row.getAttribute('data-image-id')) : null,
    rowName: rows === 1 ? ((await row.locator('.name').textContent()) ?? '').trim() : '',
    file: ((await page.locator('.image-info .file').textContent()) ?? '').trim()
  }
}

/** Waits until the image at `index` of the list order is the open one, everywhere the screen shows it. */
async function expectOpen(index: number): Promise<void> {
  const image = images[index]!
  await expect
    .poll(openImage, { timeout: WAIT_MS })
    .toEqual({
      position: `Image ${index + 1} / ${images.length} · ${image.width}×${image.height}`,
      rowId: image.id,
      rowName: image.name,
      file: image.name
    })
}

/** The instance ids the instance list shows, in order. */
async function listedIds(): Promise<number[]> {
  const ids = await page.locator('[data-testid=instance-list] li').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-instance-id')))
  return ids.map(Number)
}

/** The ids of the selected rows of the instance list (at most one). */
async function selectedIds(): Promise<number[]> {
  const ids = await page.locator('[data-testid=instance-list] li.selected').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-instance-id')))
  return ids.map(Number)
}

function instanceRow(id: number) {
  return page.locator(`[data-testid=instance-list] li[data-instance-id="${id}"]`)
}

/** Selects an instance by clicking its row (a click on the selected row deselects it), and waits for the selection to show. */
async function select(id: number): Promise<void> {
  if (!(await selectedIds()).includes(id)) await instanceRow(id).click()
  await expect.poll(selectedIds, { timeout: WAIT_MS }).toEqual([id])
}

/**
 * Proves that no key pressed since `mark` (while a text field or dialog had the keyboard, with the first
 * image open) acted on the screen: D now opens the second image, and the page asked for no other image
 * and changed or deleted no instance since the mark (other than `expectedWrites`, the calls the test
 * itself caused). The calls a leaked key would have made are sent
 * before the ones of this D, so once this D's `images:get` is seen, every earlier call has been seen too.
 */
async function expectNothingActedSince(mark: number, expectedWrites: readonly { channel: string; request: unknown }[] = []): Promise<void> {
  await expectOpen(0)
  await page.keyboard.press('d')
  await expectOpen(1)
  const opened = () =>
    pageCalls
      .slice(mark)
      .filter((c) => c.channel === 'images:get' && c.request.id !== images[0]!.id)
      .map((c) => c.request.id as number)
  await expect.poll(opened, { timeout: WAIT_MS }).toEqual([images[1]!.id])
  const writes = pageCalls.slice(mark).filter((c) => /^instances:(update|updateMany|delete|replaceMask|create)/.test(c.channel))
  expect(writes).toEqual(expectedWrites)
  await page.keyboard.press('a')
  await expectOpen(0)
}

/** Waits until a notice with this text is shown. */
async function waitForNotice(text: string | RegExp): Promise<void> {
  await page.locator('[data-testid=notice]', { hasText: text }).first().waitFor({ state: 'visible', timeout: 15_000 })
}

beforeAll(async () => {
  const sourceDir = tempDir('rose-e2e-shortcut-images-')
  for (const file of IMAGE_FILES) copyFileSync(join(FIXTURES, file), join(sourceDir, file))
  server = await startServe(['--project', tempDir('rose-e2e-shortcut-project-'), '--no-samples', '--no-engine'])
  ws = await TestWsClient.connect(server.origin, server.token)
  // Image import through the UI is covered by annotate.test.ts; here it is only the setting.
  const { jobId } = await ws.call('images:import', { paths: [sourceDir], recursive: true })
  await ws.waitForEvent('job:done', (p) => p.id === jobId)
  const listed = await ws.call('images:list', { offset: 0, limit: 100 })
  images = listed.items.map((i) => ({ id: i.id, name: baseName(i.path), width: i.width, height: i.height }))
  expect(images.map((i) => i.name).sort()).toEqual([...IMAGE_FILES].sort())

  context = await launchChromium(tempDir('rose-e2e-chromium-'))
  page = context.pages()[0] ?? (await context.newPage())
  page.on('pageerror', (error) => pageErrors.push(error.message))
  page.on('websocket', (socket) =>
    socket.on('framesent', ({ payload }) => {
      const message = JSON.parse(String(payload)) as { type?: string; channel?: string; request?: unknown }
      if (message.type === 'call') pageCalls.push({ channel: message.channel!, request: message.request })
    })
  )
})

afterAll(async () => {
  ws?.close()
  await context?.close()
  await server?.stop()
  for (const dir of scratch) rmSync(dir, { recursive: true, force: true })
})

describe('keyboard shortcuts (serve mode, Chromium)', () => {
  test('A / D and ← / → open the previous / next image in list order, and stop at the ends', async () => {
    await page.goto(server.url)
    await page.locator('[data-testid=status-bar]', { hasText: 'WebSocket · connected' }).waitFor({ timeout: 15_000 })
    // A fresh browser profile remembers no image: the first one in list order opens.
    await expectOpen(0)

    await page.keyboard.press('d')
    await expectOpen(1)
    await page.keyboard.press('d')
    await expectOpen(2)
    await page.keyboard.press('d')
    await waitForNotice('This is the last image')
    await expectOpen(2)

    await page.keyboard.press('a')
    await expectOpen(1)
    await page.keyboard.press('ArrowLeft')
    await expectOpen(0)
    await page.keyboard.press('a')
    await waitForNotice('This is the first image')
    await expectOpen(0)
    await page.keyboard.press('ArrowRight')
    await expectOpen(1)
    await page.keyboard.press('a')
    await expectOpen(0)
  })

  test('Delete removes the selected instance (list and store), Ctrl+Z brings it back', async () => {
    const image = images[0]!
    const cat = await storeRectangle(image, 'cat', [0.1, 0.1, 0.4, 0.4])
    const dog = await storeRectangle(image, 'dog', [0.5, 0.5, 0.9, 0.9])
    // Instances stored by another client reach the open image through `instances:changed`.
    await expectOpen(0)
    await expect.poll(listedIds, { timeout: WAIT_MS }).toEqual([cat, dog])
    await expect.poll(() => page.textContent('[data-testid=instance-count]'), { timeout: WAIT_MS }).toBe('2')
    expect(await storedInstances(image.id)).toEqual({ [cat]: 'cat', [dog]: 'dog' })

    await select(dog)
    await page.keyboard.press('Delete')
    await expect.poll(listedIds, { timeout: WAIT_MS }).toEqual([cat])
    await expect.poll(() => page.textContent('[data-testid=instance-count]'), { timeout: WAIT_MS }).toBe('1')
    expect(await storedInstances(image.id)).toEqual({ [cat]: 'cat' })
    expect(await selectedIds()).toEqual([])
    // With nothing selected, Delete deletes nothing.
    await page.keyboard.press('Delete')
    expect(await storedInstances(image.id)).toEqual({ [cat]: 'cat' })

    await page.keyboard.press('Control+z')
    await waitForNotice('Undid: Delete instance')
    await expect.poll(listedIds, { timeout: WAIT_MS }).toEqual([cat, dog])
    await expect.poll(() => page.textContent('[data-testid=instance-count]'), { timeout: WAIT_MS }).toBe('2')
    expect(await storedInstances(image.id)).toEqual({ [cat]: 'cat', [dog]: 'dog' })

    // Backspace is the table's other Delete key (in the select tool).
    await select(cat)
    await page.keyboard.press('Backspace')
    await expect.poll(listedIds, { timeout: WAIT_MS }).toEqual([dog])
    expect(await storedInstances(image.id)).toEqual({ [dog]: 'dog' })
    await page.keyboard.press('Control+z')
    await expect.poll(listedIds, { timeout: WAIT_MS }).toEqual([cat, dog])
    expect(await storedInstances(image.id)).toEqual({ [cat]: 'cat', [dog]: 'dog' })
  })

  test("a row's Delete button removes that row's instance, not the selected one", async () => {
    const image = images[0]!
    const [cat, dog] = await listedIds()
    await select(cat!)
    await instanceRow(dog!).hover()
    await instanceRow(dog!).getByRole('button', { name: 'Delete' }).click()
    await expect.poll(listedIds, { timeout: WAIT_MS }).toEqual([cat])
    expect(await storedInstances(image.id)).toEqual({ [cat!]: 'cat' })
    expect(await selectedIds()).toEqual([cat])
    await page.keyboard.press('Control+z')
    await expect.poll(listedIds, { timeout: WAIT_MS }).toEqual([cat, dog])
    expect(await storedInstances(image.id)).toEqual({ [cat!]: 'cat', [dog!]: 'dog' })
  })

  test('Esc clears the selection and leaves the instances alone', async () => {
    const [cat, dog] = await listedIds()
    await select(cat!)
    await page.keyboard.press('Escape')
    await expect.poll(selectedIds, { timeout: WAIT_MS }).toEqual([])
    // Tab walks the instances: it selects the first one again, Esc clears it again.
    await page.keyboard.press('Tab')
    await expect.poll(selectedIds, { timeout: WAIT_MS }).toEqual([cat])
    await page.keyboard.press('Tab')
    await expect.poll(selectedIds, { timeout: WAIT_MS }).toEqual([dog])
    await page.keyboard.press('Escape')
    await expect.poll(selectedIds, { timeout: WAIT_MS }).toEqual([])
    expect(await listedIds()).toEqual([cat, dog])
    await expectOpen(0)
  })

  test('? opens the cheat sheet drawn from the shortcut table, Esc closes it, and keys do nothing under it', async () => {
    const sheet = page.locator('[data-testid=cheat-sheet]')
    const [cat] = await listedIds()
    expect(await sheet.count()).toBe(0)
    await page.keyboard.press('Shift+Slash')
    await sheet.waitFor({ state: 'visible' })
    const text = (await sheet.textContent()) ?? ''
    for (const line of ['Previous image', 'Next image', 'Delete selected instance', 'Deselect / cancel', 'Rename category of selected', 'This cheat sheet']) {
      expect(text).toContain(line)
    }
    const renameKeys = await sheet.locator('dt', { has: page.locator('kbd', { hasText: 'F2' }) }).locator('kbd').allTextContents()
    expect(renameKeys).toEqual(['F2', 'C'])
    await page.keyboard.press('Escape')
    await sheet.waitFor({ state: 'detached' })

    // The sheet owns the keyboard: D, Delete and R under it do nothing, and its Esc does not deselect.
    await select(cat!)
    const mark = pageCalls.length
    await page.keyboard.press('Shift+Slash')
    await sheet.waitFor({ state: 'visible' })
    for (const key of ['d', 'Delete', 'r']) await page.keyboard.press(key)
    await page.keyboard.press('Escape')
    await sheet.waitFor({ state: 'detached' })
    expect(await selectedIds()).toEqual([cat])
    await expectNothingActedSince(mark)

    // `?` toggles it: a second `?` closes it too.
    await page.keyboard.press('Shift+Slash')
    await sheet.waitFor({ state: 'visible' })
    await page.keyboard.press('Shift+Slash')
    await sheet.waitFor({ state: 'detached' })
    await expectOpen(0)
  })

  test('F2 renames the selected instance; D typed into the name stays a letter; the new name is stored', async () => {
    const image = images[0]!
    const [cat, dog] = await listedIds()
    await select(cat!)
    const mark = pageCalls.length
    await page.keyboard.press('F2')
    const input = page.locator('[data-testid=category-input]')
    await input.waitFor({ state: 'visible' })
    expect(await page.getAttribute('[data-testid=category-prompt]', 'aria-label')).toBe('Rename category')
    expect(await input.inputValue()).toBe('cat')
    // The current name is selected, so typing replaces it; every `d`, `a`, `e` and `l` goes into the field.
    await page.keyboard.type('wild dad')
    expect(await input.inputValue()).toBe('wild dad')
    await page.keyboard.press('Enter')
    await input.waitFor({ state: 'detached' })
    await expect.poll(() => instanceRow(cat!).locator('[data-testid=instance-category]').textContent(), { timeout: WAIT_MS }).toBe('wild dad')
    expect(await storedInstances(image.id)).toEqual({ [cat!]: 'wild dad', [dog!]: 'dog' })
    expect((await ws.call('categories:list', {})).map((c) => c.name)).toContain('wild dad')
    // The rename was the only write, and no D typed into the name changed the image.
    await expectNothingActedSince(mark, [{ channel: 'instances:update', request: { id: cat, categoryText: 'wild dad' } }])

    // Esc in the prompt cancels: nothing is renamed. (Changing the image above dropped the selection.)
    await select(cat!)
    await page.keyboard.press('F2')
    await input.waitFor({ state: 'visible' })
    await page.keyboard.type('ignored')
    await page.keyboard.press('Escape')
    await input.waitFor({ state: 'detached' })
    expect(await storedInstances(image.id)).toEqual({ [cat!]: 'wild dad', [dog!]: 'dog' })

    // With nothing selected, F2 and C open nothing: the D after them is a shortcut.
    expect(await selectedIds()).toEqual([cat])
    await page.keyboard.press('Escape')
    await expect.poll(selectedIds, { timeout: WAIT_MS }).toEqual([])
    await page.keyboard.press('F2')
    await page.keyboard.press('c')
    await page.keyboard.press('d')
    await expectOpen(1)
    expect(await input.count()).toBe(0)
    await page.keyboard.press('a')
    await expectOpen(0)
  })

  test('C renames too, and the rename is one undo step', async () => {
    const image = images[0]!
    const [cat, dog] = await listedIds()
    await select(dog!)
    await page.keyboard.press('c')
    const input = page.locator('[data-testid=category-input]')
    await input.waitFor({ state: 'visible' })
    expect(await input.inputValue()).toBe('dog')
    await page.keyboard.type('good doggo')
    await page.keyboard.press('Enter')
    await input.waitFor({ state: 'detached' })
    await expect.poll(() => instanceRow(dog!).locator('[data-testid=instance-category]').textContent(), { timeout: WAIT_MS }).toBe('good doggo')
    expect(await storedInstances(image.id)).toEqual({ [cat!]: 'wild dad', [dog!]: 'good doggo' })

    await page.keyboard.press('Control+z')
    await expect.poll(() => instanceRow(dog!).locator('[data-testid=instance-category]').textContent(), { timeout: WAIT_MS }).toBe('dog')
    expect(await storedInstances(image.id)).toEqual({ [cat!]: 'wild dad', [dog!]: 'dog' })
    await expectOpen(0)
  })

  test('keys typed into the text-correction field (no dialog open) are letters, not shortcuts', async () => {
    const image = images[0]!
    const [cat, dog] = await listedIds()
    await select(cat!)
    await page.keyboard.press('t')
    const field = page.locator('[data-testid=refine-input]')
    await field.waitFor({ state: 'visible' })
    await expect.poll(() => field.evaluate((el) => el === (el.ownerDocument as unknown as { activeElement: unknown }).activeElement), { timeout: WAIT_MS }).toBe(true)
    const mark = pageCalls.length
    // D, A, Delete, Backspace, C, E, R and ? would all act on the screen outside a text field.
    await page.keyboard.type('a red dace??')
    await page.keyboard.press('Backspace')
    await page.keyboard.press('Delete')
    expect(await field.inputValue()).toBe('a red dace?')
    expect(await selectedIds()).toEqual([cat])
    expect(await page.locator('[data-testid=cheat-sheet]').count()).toBe(0)
    expect(await page.locator('[data-testid=category-prompt]').count()).toBe(0)

    // Esc leaves the field; then D is a shortcut again, and nothing typed before it acted.
    await page.keyboard.press('Escape')
    await field.waitFor({ state: 'detached' })
    await expectNothingActedSince(mark)
    expect(await listedIds()).toEqual([cat, dog])
    expect(await storedInstances(image.id)).toEqual({ [cat!]: 'wild dad', [dog!]: 'dog' })
    expect((await ws.call('instances:list', { imageId: image.id })).map((i) => i.status)).toEqual(['accepted', 'accepted'])

    expect(pageErrors).toEqual([])
  })
})
