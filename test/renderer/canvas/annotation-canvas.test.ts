// @vitest-environment happy-dom
import { afterEach, beforeEach, describe, expect, test } from 'vitest'
import { compress, encodeRowMajor, toBbox } from '../../../src-main/masks/rle'
import { AnnotationCanvas, describeMode, type CanvasInstance } from '../../../src-renderer/src/canvas/annotation-canvas'
import type { Mode, PromptMode } from '../../../src-renderer/src/canvas/mode'
import type { PromptDraft } from '../../../src-renderer/src/canvas/prompt-draft'
import type { PreviewLayer, Scene, SceneMask } from '../../../src-renderer/src/canvas/scene'
import type { ViewTransform } from '../../../src-renderer/src/canvas/viewport'

/** Records what the facade asks the scene to draw. */
class FakeScene implements Scene {
  masks: readonly SceneMask[] = []
  preview: SceneMask | null = null
  refinePreview: SceneMask | null = null
  transform: ViewTransform | null = null
  image: { width: number; height: number } | null = null
  resize(): void {}
  setImage(image: HTMLImageElement | null, width: number, height: number): void {
    this.image = image ? { width, height } : null
  }
  setTransform(t: ViewTransform): void {
    this.transform = t
  }
  setMasks(masks: readonly SceneMask[]): void {
    this.masks = masks
  }
  setMasksVisible(): void {}
  setPreview(mask: SceneMask | null, layer: PreviewLayer = 'prompt'): void {
    if (layer === 'refine') this.refinePreview = mask
    else this.preview = mask
  }
  invalidate(): void {}
  dispose(): void {}
}

function rectangleInstance(id: number, x0: number, y0: number, x1: number, y1: number, h = 100, w = 200): CanvasInstance {
  const mask = new Uint8Array(h * w)
  for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) mask[y * w + x] = 1
  const { size, counts } = compress(encodeRowMajor(mask, h, w))
  const rle = { size: [size[0], size[1]] as [number, number], counts }
  return { id, rle, bbox: toBbox(rle), area: (x1 - x0) * (y1 - y0), color: '#ff8800', label: `obj ${id}`, status: 'proposed', version: 'v1' }
}

let host: HTMLDivElement
let scene: FakeScene
let canvas: AnnotationCanvas
let events: { name: string; payload: unknown }[]

function input(): HTMLCanvasElement {
  return host.querySelector('[data-role="canvas-input"]') as HTMLCanvasElement
}

function pointer(type: string, x: number, y: number, button = 0, mods: { shift?: boolean; alt?: boolean } = {}): void {
  input().dispatchEvent(
    new PointerEvent(type, { clientX: x, clientY: y, button, pointerId: 1, bubbles: true, shiftKey: mods.shift ?? false, altKey: mods.alt ?? false })
  )
}

function click(x: number, y: number): void {
  pointer('pointerdown', x, y)
  pointer('pointerup', x, y)
}

function key(k: string, mods: { ctrl?: boolean; shift?: boolean } = {}): boolean {
  return canvas.keyDown({ key: k, ctrl: mods.ctrl ?? false, shift: mods.shift ?? false, alt: false })
}

/** Screen point of an image point under the current transform. */
function at(x: number, y: number): [number, number] {
  const t = canvas.transform
  return [x * t.zoom + t.x, y * t.zoom + t.y]
}

beforeEach(async () => {
  host = document.createElement('div')
  document.body.append(host)
  scene = new FakeScene()
  canvas = new AnnotationCanvas(host, {
    createScene: () => scene,
    loadImage: async () => ({ naturalWidth: 200, naturalHeight: 100 }) as HTMLImageElement
  })
  events = []
  for (const name of ['modeChanged', 'hoverChanged', 'selectionChanged', 'polygonCompleted', 'viewChanged', 'promptChanged', 'promptCompleted', 'missedBoxChanged'] as const) {
    canvas.on(name, (payload) => events.push({ name, payload }))
  }
  canvas.resize(448, 248)
})

afterEach(() => {
  canvas.dispose()
  host.remove()
})

function modes(): Mode[] {
  return events.filter((e) => e.name === 'modeChanged').map((e) => e.payload as Mode)
}

function payloads(name: string): unknown[] {
  return events.filter((e) => e.name === name).map((e) => e.payload)
}

function promptOf(): PromptDraft {
  return (canvas.mode as PromptMode).prompt
}

/** Drags with the left button from one image point to another, in a few moves. */
function drag(from: [number, number], to: [number, number]): void {
  pointer('pointerdown', ...at(...from))
  pointer('pointermove', ...at((from[0] + to[0]) / 2, (from[1] + to[1]) / 2))
  pointer('pointermove', ...at(...to))
  pointer('pointerup', ...at(...to))
}

function dblclick(x: number, y: number): void {
  input().dispatchEvent(new MouseEvent('dblclick', { clientX: x, clientY: y, bubbles: true }))
}

describe('AnnotationCanvas modes', () => {
  test('is idle until an image is shown, and remembers a tool chosen meanwhile', async () => {
    expect(canvas.mode).toEqual({ kind: 'idle' })
    canvas.setTool('polygon')
    expect(canvas.mode).toEqual({ kind: 'idle' })
    await canvas.setImage({ url: 'x', width: 200, height: 100 })
    expect(canvas.mode).toEqual({ kind: 'polygon', vertices: [], closed: false })
    expect(scene.image).toEqual({ width: 200, height: 100 })
    expect(canvas.transform).toEqual({ zoom: 2, x: 24, y: 24 })
  })

  test('polygon: clicks add vertices in image pixels, Backspace removes the last, Enter closes and hands it over', async () => {
    await canvas.setImage({ url: 'x', width: 200, height: 100 })
    canvas.setTool('polygon')
    click(...at(10, 10))
    click(...at(60, 10))
    click(...at(60, 40))
    click(...at(10, 40))
    expect(canvas.mode).toMatchObject({ kind: 'polygon', closed: false })
    expect((canvas.mode as Extract<Mode, { kind: 'polygon' }>).vertices).toHaveLength(4)
    expect(key('Backspace')).toBe(true)
    expect((canvas.mode as Extract<Mode, { kind: 'polygon' }>).vertices).toHaveLength(3)
    expect(key('Enter')).toBe(true)
    expect(canvas.mode).toMatchObject({ kind: 'polygon', closed: true })
    expect(events.filter((e) => e.name === 'polygonCompleted').map((e) => e.payload)).toEqual([[10, 10, 60, 10, 60, 40]])
    // While the name is asked for, clicks do nothing.
    click(...at(100, 80))
    expect((canvas.mode as Extract<Mode, { kind: 'polygon' }>).vertices).toHaveLength(3)
    canvas.finishPolygon('saved')
    expect(canvas.mode).toEqual({ kind: 'polygon', vertices: [], closed: false })
  })

  test('polygon: clicking the first vertex closes it; a cancelled name gives the vertices back', async () => {
    await canvas.setImage({ url: 'x', width: 200, height: 100 })
    canvas.setTool('polygon')
    for (const [x, y] of [
      [20, 20],
      [80, 20],
      [50, 70],
      [21, 21]
    ] as const)
      click(...at(x, y))
    expect(canvas.mode).toMatchObject({ closed: true })
    canvas.finishPolygon('reopened')
    expect(canvas.mode).toEqual({
      kind: 'polygon',
      closed: false,
      vertices: [
        { x: 20, y: 20 },
        { x: 80, y: 20 },
        { x: 50, y: 70 }
      ]
    })
  })

  test('polygon: a double-click closes it without adding a duplicate vertex', async () => {
    await canvas.setImage({ url: 'x', width: 200, height: 100 })
    canvas.setTool('polygon')
    click(...at(10, 10))
    click(...at(60, 10))
    click(...at(60, 40))
    click(...at(60, 40))
    input().dispatchEvent(new MouseEvent('dblclick', { clientX: at(60, 40)[0], clientY: at(60, 40)[1], bubbles: true }))
    expect(events.filter((e) => e.name === 'polygonCompleted').map((e) => e.payload)).toEqual([[10, 10, 60, 10, 60, 40]])
  })

  test('polygon: Esc drops the draft, a second Esc returns to the select tool', async () => {
    await canvas.setImage({ url: 'x', width: 200, height: 100 })
    canvas.setTool('polygon')
    click(...at(10, 10))
    expect(key('Escape')).toBe(true)
    expect(canvas.mode).toEqual({ kind: 'polygon', vertices: [], closed: false })
    expect(key('Escape')).toBe(true)
    expect(canvas.mode).toEqual({ kind: 'select' })
    expect(modes().at(-1)).toEqual({ kind: 'select' })
  })

  test('polygon: Backspace on an empty draft is swallowed (never deletes), Ctrl+Z passes through to the app', async () => {
    await canvas.setImage({ url: 'x', width: 200, height: 100 })
    canvas.setTool('polygon')
    expect(key('Backspace')).toBe(true)
    expect(key('z', { ctrl: true })).toBe(false)
  })

  test('middle-drag and space-drag pan in the polygon tool without adding vertices', async () => {
    await canvas.setImage({ url: 'x', width: 200, height: 100 })
    canvas.setTool('polygon')
    const before = canvas.transform
    pointer('pointerdown', 100, 100, 1)
    pointer('pointermove', 130, 90, 1)
    pointer('pointerup', 130, 90, 1)
    expect(canvas.transform).toEqual({ zoom: before.zoom, x: before.x + 30, y: before.y - 10 })
    key(' ')
    pointer('pointerdown', 100, 100)
    pointer('pointermove', 90, 100)
    pointer('pointerup', 90, 100)
    canvas.keyUp({ key: ' ', ctrl: false, shift: false, alt: false })
    expect(canvas.transform.x).toBe(before.x + 20)
    expect((canvas.mode as Extract<Mode, { kind: 'polygon' }>).vertices).toEqual([])
  })

  test('select: hovering and clicking a mask report it; clicking the background clears the selection', async () => {
    await canvas.setImage({ url: 'x', width: 200, height: 100 })
    canvas.setInstances([rectangleInstance(1, 10, 10, 100, 80), rectangleInstance(2, 40, 30, 60, 50)])
    expect(scene.masks.map((m) => m.id)).toEqual([1, 2])
    pointer('pointermove', ...at(45, 35))
    click(...at(45, 35))
    pointer('pointermove', ...at(15, 15))
    click(...at(150, 90))
    expect(events.filter((e) => e.name === 'hoverChanged' || e.name === 'selectionChanged')).toEqual([
      { name: 'hoverChanged', payload: 2 },
      { name: 'selectionChanged', payload: 2 },
      { name: 'hoverChanged', payload: 1 },
      { name: 'selectionChanged', payload: null }
    ])
  })

  test('select: dragging the background pans instead of selecting', async () => {
    await canvas.setImage({ url: 'x', width: 200, height: 100 })
    const before = canvas.transform
    pointer('pointerdown', 100, 100)
    pointer('pointermove', 120, 100)
    pointer('pointermove', 140, 100)
    pointer('pointerup', 140, 100)
    expect(canvas.transform.x).toBe(before.x + 40)
    expect(events.some((e) => e.name === 'selectionChanged')).toBe(false)
  })

  test('unchanged instances keep their decoded bitmaps; a new version is decoded again', async () => {
    const a = rectangleInstance(1, 10, 10, 30, 30)
    canvas.setInstances([a])
    const first = scene.masks[0]!.bitmap
    canvas.setInstances([{ ...a, color: '#00ff00' }])
    expect(scene.masks[0]!.bitmap).toBe(first)
    canvas.setInstances([{ ...a, version: 'v2' }])
    expect(scene.masks[0]!.bitmap).not.toBe(first)
  })

  test('a new image resets the mode to the chosen tool and drops a half-drawn polygon', async () => {
    await canvas.setImage({ url: 'x', width: 200, height: 100 })
    canvas.setTool('polygon')
    click(...at(10, 10))
    await canvas.setImage({ url: 'y', width: 200, height: 100 })
    expect(canvas.mode).toEqual({ kind: 'polygon', vertices: [], closed: false })
  })

  test('describeMode names every mode for the status bar', () => {
    expect(describeMode({ kind: 'polygon', vertices: [{ x: 1, y: 1 }], closed: false })).toBe('Polygon · 1 vertex')
    expect(describeMode({ kind: 'idle' })).toBe('No image')
  })
})

describe('AnnotationCanvas box and point tools', () => {
  beforeEach(async () => {
    await canvas.setImage({ url: 'x', width: 200, height: 100 })
    canvas.setTool('box')
    events = []
  })

  test('box: a drag draws a box in image pixels; clicks add points, right-click, Shift and Alt mark them negative', () => {
    drag([20.2, 10.6], [60.4, 50.2])
    expect(promptOf()).toEqual({ box: [20, 10, 41, 41], points: [] })
    click(...at(30, 30))
    pointer('pointerdown', ...at(50, 40), 2)
    pointer('pointerup', ...at(50, 40), 2)
    pointer('pointerdown', ...at(25, 20), 0, { shift: true })
    pointer('pointerup', ...at(25, 20), 0, { shift: true })
    pointer('pointerdown', ...at(45, 20), 0, { alt: true })
    pointer('pointerup', ...at(45, 20), 0, { alt: true })
    expect(promptOf().points).toEqual([
      { x: 30, y: 30, positive: true },
      { x: 50, y: 40, positive: false },
      { x: 25, y: 20, positive: false },
      { x: 45, y: 20, positive: false }
    ])
    // Each change is announced once, so the app asks the engine once per click.
    expect(payloads('promptChanged')).toHaveLength(5)
    expect(payloads('promptChanged').at(-1)).toBe(promptOf())
    // A new box starts a new prompt: the points of the old one do not carry over.
    drag([100, 20], [150, 80])
    expect(promptOf()).toEqual({ box: [100, 20, 50, 60], points: [] })
  })

  test('box: Enter hands the prompt over for a name; clicks wait; reopened keeps the prompt, saved starts a new one', () => {
    drag([20, 10], [60, 50])
    expect(key('Enter')).toBe(true)
    expect(canvas.mode).toMatchObject({ kind: 'box', naming: true })
    expect(payloads('promptCompleted')).toEqual([{ box: [20, 10, 40, 40], points: [] }])
    click(...at(30, 30))
    expect(promptOf().points).toEqual([])
    const announced = payloads('promptChanged').length
    canvas.finishPrompt('reopened')
    expect(canvas.mode).toMatchObject({ kind: 'box', naming: false, prompt: { box: [20, 10, 40, 40] } })
    expect(payloads('promptChanged')).toHaveLength(announced)
    key('Enter')
    canvas.finishPrompt('saved')
    expect(canvas.mode).toEqual({ kind: 'box', naming: false, prompt: { box: null, points: [] } })
    expect(payloads('promptChanged').at(-1)).toBeNull()
  })

  test('box: the preview is drawn only while a prompt exists, and Esc drops both; a second Esc leaves the tool', () => {
    const shape = rectangleInstance(1, 30, 20, 50, 45)
    canvas.setPreview({ rle: shape.rle, bbox: shape.bbox, pending: false })
    expect(scene.preview).toBeNull()
    drag([25, 15], [55, 50])
    canvas.setPreview({ rle: shape.rle, bbox: shape.bbox, pending: false })
    expect(scene.preview).toMatchObject({ id: 0, x: 30, y: 20, step: 1 })
    expect([scene.preview!.bitmap.width, scene.preview!.bitmap.height]).toEqual([20, 25])
    expect(canvas.hasPreview).toBe(true)
    expect(key('Escape')).toBe(true)
    expect(promptOf()).toEqual({ box: null, points: [] })
    expect(scene.preview).toBeNull()
    expect(payloads('promptChanged').at(-1)).toBeNull()
    expect(key('Escape')).toBe(true)
    expect(canvas.mode).toEqual({ kind: 'select' })
  })

  test('box: Backspace removes the last point, then the box; on an empty prompt Backspace is swallowed and Ctrl+Z passes', () => {
    drag([20, 10], [60, 50])
    click(...at(30, 30))
    expect(key('Backspace')).toBe(true)
    expect(promptOf()).toEqual({ box: [20, 10, 40, 40], points: [] })
    expect(key('z', { ctrl: true })).toBe(true)
    expect(promptOf()).toEqual({ box: null, points: [] })
    expect(key('Backspace')).toBe(true)
    expect(key('z', { ctrl: true })).toBe(false)
    expect(key('Enter')).toBe(false)
  })

  test('box: a double-click names the mask without the point its first click added', () => {
    drag([20, 10], [60, 50])
    click(...at(30, 30))
    click(...at(30, 30))
    dblclick(...at(30, 30))
    expect(payloads('promptCompleted')).toEqual([{ box: [20, 10, 40, 40], points: [] }])
    expect(canvas.mode).toMatchObject({ kind: 'box', naming: true })
  })

  test('point: a drag pans instead of adding points; a double-click on an object alone segments from that point and names it', () => {
    canvas.setTool('point')
    const before = canvas.transform
    pointer('pointerdown', 100, 100)
    pointer('pointermove', 120, 100)
    pointer('pointermove', 130, 110)
    pointer('pointerup', 130, 110)
    expect(canvas.transform).toEqual({ zoom: before.zoom, x: before.x + 30, y: before.y + 10 })
    expect(promptOf().points).toEqual([])
    click(...at(50, 50))
    click(...at(50, 50))
    dblclick(...at(50, 50))
    expect(payloads('promptCompleted')).toEqual([{ box: null, points: [{ x: 50, y: 50, positive: true }] }])
  })

  test('a click outside the image adds nothing, and a new image drops the prompt and its preview', async () => {
    click(...at(250, 50))
    expect(promptOf().points).toEqual([])
    drag([20, 10], [60, 50])
    const shape = rectangleInstance(1, 30, 20, 50, 45)
    canvas.setPreview({ rle: shape.rle, bbox: shape.bbox, pending: true })
    await canvas.setImage({ url: 'y', width: 200, height: 100 })
    expect(canvas.mode).toEqual({ kind: 'box', naming: false, prompt: { box: null, points: [] } })
    expect(scene.preview).toBeNull()
    expect(payloads('promptChanged').at(-1)).toBeNull()
  })

  test('describeMode says what the prompt tools hold', () => {
    expect(describeMode({ kind: 'box', prompt: { box: null, points: [] }, naming: false })).toBe('Box · drag around an object')
    expect(describeMode({ kind: 'box', prompt: { box: [1, 1, 5, 5], points: [] }, naming: false })).toBe('Box · click to refine')
    expect(
      describeMode({
        kind: 'point',
        prompt: { box: null, points: [{ x: 1, y: 1, positive: true }, { x: 2, y: 2, positive: false }] },
        naming: false
      })
    ).toBe('Point · 2 points (1 negative)')
    expect(describeMode({ kind: 'box', prompt: { box: [1, 1, 5, 5], points: [] }, naming: true })).toBe('Box · naming')
  })
})

describe('AnnotationCanvas missed-object tool and correction preview', () => {
  beforeEach(async () => {
    await canvas.setImage({ url: 'x', width: 200, height: 100 })
    canvas.setTool('missed')
  })

  test('a drag draws the box (clamped, whole pixels) and announces it once; a click adds nothing', () => {
    click(...at(40, 40))
    expect(canvas.mode).toEqual({ kind: 'missed', box: null })
    drag([20.4, 10.6], [260, 50.2])
    expect(canvas.mode).toEqual({ kind: 'missed', box: [20, 10, 180, 41] })
    expect(payloads('missedBoxChanged')).toEqual([[20, 10, 180, 41]])
    drag([5, 5], [30, 30])
    expect(payloads('missedBoxChanged')).toEqual([[20, 10, 180, 41], [5, 5, 25, 25]])
  })

  test('Backspace drops the box and Esc leaves the tool; Ctrl+Z on an empty tool goes to the project\'s undo', () => {
    drag([20, 10], [60, 50])
    expect(key('Backspace')).toBe(true)
    expect(canvas.mode).toEqual({ kind: 'missed', box: null })
    expect(payloads('missedBoxChanged').at(-1)).toBeNull()
    expect(key('z', { ctrl: true })).toBe(false)
    expect(key('Backspace')).toBe(true)
    expect(key('Escape')).toBe(true)
    expect(canvas.mode).toEqual({ kind: 'select' })
  })

  test('clearMissedBox drops the box of a stored object; leaving the tool announces that no box is left', () => {
    drag([20, 10], [60, 50])
    canvas.clearMissedBox()
    expect(canvas.mode).toEqual({ kind: 'missed', box: null })
    drag([20, 10], [60, 50])
    canvas.setTool('box')
    expect(payloads('missedBoxChanged')).toEqual([[20, 10, 40, 40], null, [20, 10, 40, 40], null])
  })

  test('a correction\'s answer is drawn in its own layer in any tool, above the box preview, until removed or a new image', async () => {
    const shape = rectangleInstance(1, 30, 20, 50, 45)
    canvas.setRefinePreview({ rle: shape.rle, bbox: shape.bbox, pending: false })
    expect(scene.refinePreview).toMatchObject({ id: 0, x: 30, y: 20, step: 1 })
    expect(scene.preview).toBeNull()
    canvas.setTool('select')
    expect(canvas.hasRefinePreview).toBe(true)
    canvas.setRefinePreview(null)
    expect(scene.refinePreview).toBeNull()
    canvas.setRefinePreview({ rle: shape.rle, bbox: shape.bbox, pending: true })
    await canvas.setImage({ url: 'y', width: 200, height: 100 })
    expect(scene.refinePreview).toBeNull()
    expect(canvas.hasRefinePreview).toBe(false)
  })

  test('Ctrl+Enter is left to the app in the box and polygon tools', () => {
    canvas.setTool('box')
    drag([20, 10], [60, 50])
    expect(key('Enter', { ctrl: true })).toBe(false)
    expect(canvas.mode).toMatchObject({ kind: 'box', naming: false })
    canvas.setTool('polygon')
    for (const [x, y] of [[10, 10], [60, 10], [60, 40]] as const) click(...at(x, y))
    expect(key('Enter', { ctrl: true })).toBe(false)
    expect(canvas.mode).toMatchObject({ kind: 'polygon', closed: false })
  })

  test('describeMode says what the missed-object tool needs next', () => {
    expect(describeMode({ kind: 'missed', box: null })).toBe('Missed object · drag a box, or type a description')
    expect(describeMode({ kind: 'missed', box: [1, 2, 3, 4] })).toBe('Missed object · Enter: ask the engine')
  })
})
