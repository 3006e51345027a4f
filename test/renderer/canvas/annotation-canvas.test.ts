// @vitest-environment happy-dom
import { afterEach, beforeEach, describe, expect, test } from 'vitest'
import { compress, encodeRowMajor, toBbox } from '../../../src-main/masks/rle'
import { AnnotationCanvas, describeMode, type CanvasInstance } from '../../../src-renderer/src/canvas/annotation-canvas'
import type { Mode } from '../../../src-renderer/src/canvas/mode'
import type { Scene, SceneMask } from '../../../src-renderer/src/canvas/scene'
import type { ViewTransform } from '../../../src-renderer/src/canvas/viewport'

/** Records what the facade asks the scene to draw. */
class FakeScene implements Scene {
  masks: readonly SceneMask[] = []
  preview: SceneMask | null = null
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
  setPreview(mask: SceneMask | null): void {
    this.preview = mask
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

function pointer(type: string, x: number, y: number, button = 0): void {
  input().dispatchEvent(new PointerEvent(type, { clientX: x, clientY: y, button, pointerId: 1, bubbles: true }))
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
  for (const name of ['modeChanged', 'hoverChanged', 'selectionChanged', 'polygonCompleted', 'viewChanged'] as const) {
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
