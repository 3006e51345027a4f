import { FabricImage, StaticCanvas } from 'fabric'
import type { PreviewLayer, Scene, SceneMask } from './scene'
import type { ViewTransform } from './viewport'

// Past this zoom image pixels are big enough to inspect: draw them as crisp squares, not blurred.
const PIXELATED_IMAGE_ZOOM = 2

/**
 * The scene drawn with fabric: one static canvas (no fabric interactivity: the facade owns input), the
 * image at the bottom and one unsmoothed image object per mask bitmap. Fabric objects live only here,
 * never in Vue state.
 */
export class FabricScene implements Scene {
  private readonly canvas: StaticCanvas
  private image: FabricImage | null = null
  private readonly masks = new Map<number, { readonly source: SceneMask; readonly object: FabricImage }>()
  // Drawn in this order above the masks: a text correction's answer covers the box tool's preview.
  private readonly previews = new Map<PreviewLayer, FabricImage>()
  private masksVisible = true
  private zoom = 1

  constructor(element: HTMLCanvasElement) {
    this.canvas = new StaticCanvas(element, {
      enableRetinaScaling: true,
      renderOnAddRemove: false,
      skipOffscreen: true,
      imageSmoothingEnabled: true
    })
  }

  resize(width: number, height: number): void {
    this.canvas.setDimensions({ width, height })
    this.canvas.requestRenderAll()
  }

  setImage(image: HTMLImageElement | null, width: number, height: number): void {
    if (this.image) this.canvas.remove(this.image)
    this.image = null
    if (image) {
      this.image = new FabricImage(image, {
        left: 0,
        top: 0,
        originX: 'left',
        originY: 'top',
        // The served file may be a different size than the oriented frame masks live in (a preview).
        scaleX: width / (image.naturalWidth || width),
        scaleY: height / (image.naturalHeight || height),
        objectCaching: false,
        selectable: false,
        evented: false,
        imageSmoothing: this.zoom < PIXELATED_IMAGE_ZOOM
      })
      this.canvas.insertAt(0, this.image)
    }
    this.canvas.requestRenderAll()
  }

  setTransform(t: ViewTransform): void {
    this.zoom = t.zoom
    this.canvas.setViewportTransform([t.zoom, 0, 0, t.zoom, t.x, t.y])
    if (this.image) this.image.imageSmoothing = t.zoom < PIXELATED_IMAGE_ZOOM
    // Masks are magnified as hard-edged cells; minified, smoothing keeps one-pixel outlines visible.
    for (const { object } of this.masks.values()) object.imageSmoothing = t.zoom < 1
    for (const preview of this.previews.values()) preview.imageSmoothing = t.zoom < 1
    this.canvas.requestRenderAll()
  }

  setMasks(list: readonly SceneMask[]): void {
    const keep = new Set(list.map((m) => m.id))
    for (const [id, entry] of this.masks) {
      if (!keep.has(id)) {
        this.canvas.remove(entry.object)
        this.masks.delete(id)
      }
    }
    for (const mask of list) {
      const existing = this.masks.get(mask.id)
      if (existing && existing.source.bitmap === mask.bitmap) continue
      if (existing) this.canvas.remove(existing.object)
      const object = this.maskObject(mask, this.masksVisible)
      this.masks.set(mask.id, { source: mask, object })
    }
    // Draw order: the image, then masks in list order, then the previews.
    const ordered = list.map((m) => this.masks.get(m.id)!.object)
    this.canvas.remove(...this.canvas.getObjects().filter((o) => o !== this.image))
    this.canvas.add(...ordered)
    this.addPreviews()
    this.canvas.requestRenderAll()
  }

  setPreview(mask: SceneMask | null, layer: PreviewLayer = 'prompt'): void {
    const old = this.previews.get(layer)
    if (old) this.canvas.remove(old)
    this.previews.delete(layer)
    if (mask) this.previews.set(layer, this.maskObject(mask, true))
    // Re-adding keeps the layers in order whichever one changed.
    this.canvas.remove(...this.previews.values())
    this.addPreviews()
    this.canvas.requestRenderAll()
  }

  private addPreviews(): void {
    for (const layer of ['prompt', 'refine'] as const) {
      const preview = this.previews.get(layer)
      if (preview) this.canvas.add(preview)
    }
  }

  private maskObject(mask: SceneMask, visible: boolean): FabricImage {
    return new FabricImage(mask.bitmap, {
      left: mask.x,
      top: mask.y,
      originX: 'left',
      originY: 'top',
      scaleX: mask.step,
      scaleY: mask.step,
      objectCaching: false,
      selectable: false,
      evented: false,
      visible,
      imageSmoothing: this.zoom < 1
    })
  }

  setMasksVisible(visible: boolean): void {
    this.masksVisible = visible
    for (const { object } of this.masks.values()) object.visible = visible
    this.canvas.requestRenderAll()
  }

  invalidate(): void {
    this.canvas.requestRenderAll()
  }

  dispose(): void {
    this.masks.clear()
    this.image = null
    this.previews.clear()
    void this.canvas.dispose()
  }
}
