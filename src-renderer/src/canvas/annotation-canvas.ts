import type { InstanceStatusValue, RleValue } from '../../../src-preload/contract'
import { Emitter } from '../common/emitter'
import { BoxHandler } from './handlers/box-handler'
import { MissedHandler } from './handlers/missed-handler'
import { PanHandler } from './handlers/pan-handler'
import { PointHandler } from './handlers/point-handler'
import { PolygonHandler } from './handlers/polygon-handler'
import { SelectHandler } from './handlers/select-handler'
import type { HandlerContext, KeyInput, PointerInput, ToolHandler } from './handlers/tool-handler'
import { MaskCells } from './mask-cells'
import { maskStyle, paintCells, previewStyle, type Emphasis } from './mask-style'
import { assertNever, modeForTool, promptModeOf, toolOf, type Mode, type Point, type ToolKind } from './mode'
import { drawInstanceLabels, drawSelectionFrame, type LabelledBox } from './overlay'
import { flatten } from './polygon-draft'
import { EMPTY_PROMPT, isEmptyPrompt, type PromptBox, type PromptDraft, type PromptPoint } from './prompt-draft'
import type { PreviewLayer, Scene, SceneMask } from './scene'
import {
  IDENTITY,
  fitTransform,
  toImage,
  wheelZoomFactor,
  zoomAround,
  zoomToAround,
  type ViewTransform
} from './viewport'

/** One instance as the canvas needs it (plain data; the app maps its store rows to this). */
export interface CanvasInstance {
  readonly id: number
  readonly rle: RleValue
  readonly bbox: readonly [number, number, number, number]
  readonly area: number
  readonly color: string
  readonly label: string
  readonly status: InstanceStatusValue
  /** Changes whenever the mask changes (e.g. `updatedAt`), so unchanged masks are not decoded again. */
  readonly version: string
}

/** An image to show: its URL and its size in the oriented frame the masks use. */
export interface CanvasImage {
  readonly url: string
  readonly width: number
  readonly height: number
}

/** The engine's proposed mask for the current prompt, drawn until it is named or dropped. */
export interface CanvasPreview {
  readonly rle: RleValue
  readonly bbox: readonly [number, number, number, number]
  /** A newer prompt is being answered: the preview is drawn dimmed. */
  readonly pending: boolean
}

/** Everything the canvas tells the app. */
export type CanvasEvents = {
  modeChanged: Mode
  hoverChanged: number | null
  selectionChanged: number | null
  /** A closed polygon (image pixels, `x0 y0 x1 y1 …`) waiting for a name; answer with `finishPolygon`. */
  polygonCompleted: readonly number[]
  /** The box/point prompt changed (null: it was emptied or its tool left); the app asks the engine again. */
  promptChanged: PromptDraft | null
  /** The prompt's mask should be stored: the app asks for a name and answers with `finishPrompt`. */
  promptCompleted: PromptDraft
  /** The missed-object tool's box changed (null: dropped, or the tool was left); the app asks ROSE for the object. */
  missedBoxChanged: PromptBox | null
  viewChanged: ViewTransform
  /** The pointer in image pixels, or null when it left the view. */
  pointerMoved: Point | null
  /** The image could not be loaded; the text says why. */
  imageFailed: string
}

/** What the facade is built with; tests hand in a fake scene. */
export interface AnnotationCanvasOptions {
  readonly createScene: (element: HTMLCanvasElement) => Scene
  /** Loads an image element; defaults to `new Image()` + `decode()`. */
  readonly loadImage?: (url: string) => Promise<HTMLImageElement>
}

interface MaskEntry {
  readonly source: CanvasInstance
  readonly cells: MaskCells
  readonly bitmap: HTMLCanvasElement
  paintedKey: string
}

async function loadImageElement(url: string): Promise<HTMLImageElement> {
  const img = new Image()
  img.decoding = 'async'
  img.src = url
  try {
    await img.decode()
  } catch {
    throw new Error(`could not load ${url}`)
  }
  return img
}

/**
 * The annotation canvas: a facade over the scene (fabric), an overlay for labels and tool feedback, and
 * one handler per tool driven by an explicit `Mode`. The app talks to it only through these methods and
 * its typed events; no fabric object escapes it.
 *
 * | call                | idle            | select / pan        | polygon                          | box / point                        |
 * |---------------------|-----------------|---------------------|----------------------------------|------------------------------------|
 * | setImage            | loads, → tool   | loads, resets       | loads, drops the draft           | loads, drops the prompt            |
 * | setInstances        | kept for later  | redraws             | redraws                          | redraws                            |
 * | setTool             | remembered      | switches            | switches, drops the draft        | switches, drops the prompt         |
 * | finishPolygon       | ignored         | ignored             | closed draft: clears or reopens  | ignored                            |
 * | setPreview          | ignored         | ignored             | ignored                          | draws it while the prompt is set   |
 * | finishPrompt        | ignored         | ignored             | ignored                          | naming: clears or reopens          |
 * | setRefinePreview    | ignored         | draws it            | draws it                         | draws it                           |
 * | clearMissedBox      | ignored         | ignored             | ignored                          | ignored (missed: drops its box)    |
 * | zoom / fit          | ignored         | applies             | applies                          | applies                            |
 *
 * The missed-object tool (`missed`) behaves like select/pan for every call above except `setTool`
 * (switching drops its box) and `setRefinePreview` (drawn); its box is announced with `missedBoxChanged`.
 */
export class AnnotationCanvas {
  private modeValue: Mode = { kind: 'idle' }
  private preferredTool: ToolKind = 'select'
  private transformValue: ViewTransform = IDENTITY
  private fitted = true
  private image: { readonly width: number; readonly height: number } | null = null
  private imageSeq = 0
  private entries: MaskEntry[] = []
  private hoveredId: number | null = null
  private selectedId: number | null = null
  private masksVisible = true
  private labelsVisible = true
  private pointer: Point | null = null
  /** The prompt last announced with `promptChanged` (null: none), so only real changes are announced. */
  private announcedPrompt: PromptDraft | null = null
  /** The missed-object box last announced with `missedBoxChanged`. */
  private announcedMissedBox: PromptBox | null = null
  private previewMask: { readonly counts: string; readonly cells: MaskCells; readonly bitmap: HTMLCanvasElement } | null = null
  private refineMask: { readonly counts: string; readonly cells: MaskCells } | null = null
  private spaceHeld = false
  private viewSize = { width: 0, height: 0 }
  private overlayFrame = 0
  private disposed = false
  private readonly scene: Scene
  private readonly overlay: HTMLCanvasElement
  private readonly emitter = new Emitter<CanvasEvents>()
  private readonly loadImage: (url: string) => Promise<HTMLImageElement>
  private readonly handlers: { readonly [K in ToolKind]: ToolHandler }
  private readonly pan: PanHandler
  private readonly context: HandlerContext
  /** The handler taking pointer events during a drag that belongs to no tool (space/middle/background pan). */
  private drag: ToolHandler | null = null
  private readonly cleanup: (() => void)[] = []

  constructor(
    private readonly host: HTMLElement,
    options: AnnotationCanvasOptions
  ) {
    const sceneElement = document.createElement('canvas')
    this.overlay = document.createElement('canvas')
    for (const el of [sceneElement, this.overlay]) {
      el.style.position = 'absolute'
      el.style.inset = '0'
    }
    this.overlay.dataset.role = 'canvas-input'
    this.overlay.style.touchAction = 'none'
    host.append(sceneElement, this.overlay)
    this.scene = options.createScene(sceneElement)
    this.loadImage = options.loadImage ?? loadImageElement
    this.context = this.createContext()
    this.pan = new PanHandler(this.context)
    this.handlers = {
      select: new SelectHandler(this.context),
      pan: this.pan,
      polygon: new PolygonHandler(this.context),
      box: new BoxHandler(this.context),
      point: new PointHandler(this.context),
      missed: new MissedHandler(this.context)
    }
    this.listen()
  }

  /** Subscribes to a canvas event; returns the unsubscribe function. */
  on<K extends keyof CanvasEvents & string>(event: K, listener: (payload: CanvasEvents[K]) => void): () => void {
    return this.emitter.on(event, listener)
  }

  /** The current mode. */
  get mode(): Mode {
    return this.modeValue
  }

  /** The current view transform. */
  get transform(): ViewTransform {
    return this.transformValue
  }

  /** Shows an image (null clears); resolves when it is on screen or failed (reported as `imageFailed`). */
  async setImage(source: CanvasImage | null): Promise<void> {
    const seq = ++this.imageSeq
    this.activeHandler()?.reset()
    this.drag = null
    this.image = null
    this.scene.setImage(null, 0, 0)
    this.setRefinePreview(null)
    this.setModeInternal({ kind: 'idle' })
    if (!source) return this.drawOverlaySoon()
    let element: HTMLImageElement
    try {
      element = await this.loadImage(source.url)
    } catch (error) {
      if (seq === this.imageSeq && !this.disposed) this.emitter.fire('imageFailed', error instanceof Error ? error.message : String(error))
      return
    }
    if (seq !== this.imageSeq || this.disposed) return
    this.image = { width: source.width, height: source.height }
    this.scene.setImage(element, source.width, source.height)
    this.fit()
    this.setModeInternal(modeForTool(this.preferredTool))
  }

  /** Replaces the instances drawn; unchanged masks keep their decoded bitmaps. */
  setInstances(list: readonly CanvasInstance[]): void {
    const previous = new Map(this.entries.map((e) => [e.source.id, e]))
    const next: MaskEntry[] = []
    for (const instance of list) {
      const old = previous.get(instance.id)
      if (old && old.source.version === instance.version && old.source.rle.counts === instance.rle.counts) {
        next.push(old.source === instance ? old : { ...old, source: instance })
        continue
      }
      try {
        const cells = MaskCells.fromRle(instance.rle, instance.bbox)
        const bitmap = document.createElement('canvas')
        bitmap.width = Math.max(1, cells.cols)
        bitmap.height = Math.max(1, cells.rows)
        next.push({ source: instance, cells, bitmap, paintedKey: '' })
      } catch (error) {
        console.error(`[canvas] instance ${instance.id} has a mask that cannot be decoded`, error)
      }
    }
    // Larger masks first so small objects stay visible and clickable on top of big ones.
    next.sort((a, b) => b.source.area - a.source.area || a.source.id - b.source.id)
    this.entries = next
    if (this.hoveredId !== null && !next.some((e) => e.source.id === this.hoveredId)) this.hoveredId = null
    if (this.selectedId !== null && !next.some((e) => e.source.id === this.selectedId)) this.selectedId = null
    this.repaintMasks()
    this.scene.setMasks(next.map((e) => this.sceneMask(e)))
    this.drawOverlaySoon()
  }

  /** Highlights an instance hovered elsewhere (the instance list); fires nothing. */
  setHovered(id: number | null): void {
    if (id === this.hoveredId) return
    this.hoveredId = id
    this.repaintMasks()
  }

  /** Selects an instance from elsewhere; fires nothing. */
  setSelected(id: number | null): void {
    if (id === this.selectedId) return
    this.selectedId = id
    this.repaintMasks()
  }

  /** Switches tool; while idle the choice is kept for the next image. */
  setTool(tool: ToolKind): void {
    this.preferredTool = tool
    if (this.modeValue.kind === 'idle' || toolOf(this.modeValue) === tool) return
    this.activeHandler()?.reset()
    this.setModeInternal(modeForTool(tool))
  }

  /** Answers `polygonCompleted`: `saved` starts a new draft, `reopened` gives the vertices back for editing. */
  finishPolygon(outcome: 'saved' | 'reopened'): void {
    const mode = this.modeValue
    if (mode.kind !== 'polygon' || !mode.closed) return
    this.setModeInternal({ kind: 'polygon', vertices: outcome === 'saved' ? [] : mode.vertices, closed: false })
  }

  /**
   * Draws the engine's mask for the current prompt (null removes it). Ignored when there is no prompt:
   * an answer that arrives after the prompt was dropped must not reappear.
   */
  setPreview(preview: CanvasPreview | null): void {
    const mode = promptModeOf(this.modeValue)
    if (!preview || !mode || isEmptyPrompt(mode.prompt)) return this.clearPreview()
    // The same mask shown dimmed or not (a newer prompt is out, then answered) is only repainted.
    let cells: MaskCells
    if (this.previewMask?.counts === preview.rle.counts) cells = this.previewMask.cells
    else {
      try {
        cells = MaskCells.fromRle(preview.rle, preview.bbox)
      } catch (error) {
        console.error('[canvas] the proposed mask cannot be decoded', error)
        return this.clearPreview()
      }
    }
    const bitmap = previewBitmap(cells, preview.pending)
    this.previewMask = { counts: preview.rle.counts, cells, bitmap }
    this.scene.setPreview({ id: 0, x: cells.x, y: cells.y, step: cells.step, bitmap })
  }

  /** Whether a proposed mask is on screen. */
  get hasPreview(): boolean {
    return this.previewMask !== null
  }

  /**
   * Draws a text correction's answer (refinement, missed object, referring) with the box tool's preview
   * look, in its own layer above the box/point preview, whatever the tool (null removes it). It belongs
   * to the app's correction, not to a canvas prompt, so only the app or a new image removes it.
   */
  setRefinePreview(preview: CanvasPreview | null): void {
    if (!preview || !this.image) {
      if (this.refineMask) this.scene.setPreview(null, 'refine')
      this.refineMask = null
      return
    }
    let cells: MaskCells
    if (this.refineMask?.counts === preview.rle.counts) cells = this.refineMask.cells
    else {
      try {
        cells = MaskCells.fromRle(preview.rle, preview.bbox)
      } catch (error) {
        console.error('[canvas] the refined mask cannot be decoded', error)
        return this.setRefinePreview(null)
      }
    }
    this.refineMask = { counts: preview.rle.counts, cells }
    this.scene.setPreview({ id: 0, x: cells.x, y: cells.y, step: cells.step, bitmap: previewBitmap(cells, preview.pending) }, 'refine')
  }

  /** Whether a text correction's answer is on screen. */
  get hasRefinePreview(): boolean {
    return this.refineMask !== null
  }

  /** Answers `promptCompleted`: `saved` starts a new prompt, `reopened` gives the prompt back for refining. */
  finishPrompt(outcome: 'saved' | 'reopened'): void {
    const mode = promptModeOf(this.modeValue)
    if (!mode || !mode.naming) return
    this.setModeInternal({ kind: mode.kind, prompt: outcome === 'saved' ? EMPTY_PROMPT : mode.prompt, naming: false })
  }

  /** Drops the missed-object tool's box (its object was stored or given up); ignored in other tools. */
  clearMissedBox(): void {
    if (this.modeValue.kind === 'missed' && this.modeValue.box) this.setModeInternal({ kind: 'missed', box: null })
  }

  /** Shows or hides the masks (and their labels). */
  setMasksVisible(visible: boolean): void {
    this.masksVisible = visible
    this.scene.setMasksVisible(visible)
    this.drawOverlaySoon()
  }

  /** Shows or hides the category labels. */
  setLabelsVisible(visible: boolean): void {
    this.labelsVisible = visible
    this.drawOverlaySoon()
  }

  /** Fits the whole image in the view. */
  fit(): void {
    if (!this.image) return
    this.applyTransform(fitTransform(this.image, this.viewSize))
    this.fitted = true
  }

  /** Zooms by a factor around the view centre. */
  zoomBy(factor: number): void {
    if (!this.image) return
    this.applyTransform(zoomAround(this.transformValue, this.viewCentre(), factor))
  }

  /** Sets an absolute zoom (1 = one image pixel per CSS pixel) around the view centre. */
  zoomTo(zoom: number): void {
    if (!this.image) return
    this.applyTransform(zoomToAround(this.transformValue, this.viewCentre(), zoom))
  }

  /** Keys the app forwards before acting on them itself; true when the canvas used the key. */
  keyDown(e: KeyInput): boolean {
    if (e.key === ' ') {
      this.spaceHeld = true
      this.updateCursor()
      return true
    }
    return this.activeHandler()?.key(e) ?? false
  }

  /** Key releases the app forwards (space ends the temporary pan). */
  keyUp(e: KeyInput): void {
    if (e.key === ' ') {
      this.spaceHeld = false
      this.updateCursor()
    }
  }

  /** Resizes the view (CSS pixels); a view that was fitted stays fitted. */
  resize(width: number, height: number): void {
    if (width === this.viewSize.width && height === this.viewSize.height) return
    this.viewSize = { width, height }
    this.scene.resize(width, height)
    const dpr = window.devicePixelRatio || 1
    this.overlay.width = Math.round(width * dpr)
    this.overlay.height = Math.round(height * dpr)
    this.overlay.style.width = `${width}px`
    this.overlay.style.height = `${height}px`
    if (this.fitted) this.fit()
    this.drawOverlaySoon()
  }

  /** Releases the scene, listeners and DOM elements. */
  dispose(): void {
    if (this.disposed) return
    this.disposed = true
    this.imageSeq += 1
    cancelAnimationFrame(this.overlayFrame)
    for (const fn of this.cleanup.splice(0)) fn()
    this.emitter.dispose()
    this.scene.dispose()
    this.host.replaceChildren()
  }

  // ---- internals ----

  private activeHandler(): ToolHandler | null {
    const tool = toolOf(this.modeValue)
    return tool ? this.handlers[tool] : null
  }

  private createContext(): HandlerContext {
    const self = this
    return {
      get mode() {
        return self.modeValue
      },
      get transform() {
        return self.transformValue
      },
      get imageSize() {
        return self.image
      },
      get pointer() {
        return self.pointer
      },
      get hoveredId() {
        return self.hoveredId
      },
      setMode: (mode) => this.setModeInternal(mode),
      setTool: (tool) => this.setTool(tool),
      hitTest: (p) => this.hitTest(p),
      hover: (id) => {
        if (id === this.hoveredId) return
        this.setHovered(id)
        this.updateCursor()
        this.emitter.fire('hoverChanged', id)
      },
      select: (id) => {
        if (id === this.selectedId) return
        this.setSelected(id)
        this.emitter.fire('selectionChanged', id)
      },
      beginPan: (from) => {
        this.pan.start(from)
        this.drag = this.pan
        this.updateCursor()
      },
      setTransform: (t) => this.applyTransform(t),
      completePrompt: () => {
        const mode = promptModeOf(this.modeValue)
        if (!mode || mode.naming || isEmptyPrompt(mode.prompt)) return
        this.setModeInternal({ kind: mode.kind, prompt: mode.prompt, naming: true })
        this.emitter.fire('promptCompleted', mode.prompt)
      },
      completePolygon: () => {
        const mode = this.modeValue
        if (mode.kind !== 'polygon' || mode.closed) return
        this.setModeInternal({ kind: 'polygon', vertices: mode.vertices, closed: true })
        this.emitter.fire('polygonCompleted', flatten(mode.vertices))
      },
      requestOverlay: () => this.drawOverlaySoon()
    }
  }

  private setModeInternal(mode: Mode): void {
    this.modeValue = mode
    this.updateCursor()
    this.drawOverlaySoon()
    this.emitter.fire('modeChanged', mode)
    const prompt = promptModeOf(mode)?.prompt ?? null
    const current = prompt && !isEmptyPrompt(prompt) ? prompt : null
    if (current !== this.announcedPrompt) {
      this.announcedPrompt = current
      if (!current) this.clearPreview()
      this.emitter.fire('promptChanged', current)
    }
    const missedBox = mode.kind === 'missed' ? mode.box : null
    if (missedBox !== this.announcedMissedBox) {
      this.announcedMissedBox = missedBox
      this.emitter.fire('missedBoxChanged', missedBox)
    }
  }

  private clearPreview(): void {
    if (!this.previewMask) return
    this.previewMask = null
    this.scene.setPreview(null)
  }

  private applyTransform(t: ViewTransform): void {
    this.transformValue = t
    this.fitted = false
    this.scene.setTransform(t)
    this.drawOverlaySoon()
    this.emitter.fire('viewChanged', t)
  }

  private viewCentre(): Point {
    return { x: this.viewSize.width / 2, y: this.viewSize.height / 2 }
  }

  private hitTest(p: Point): number | null {
    if (!this.masksVisible) return null
    for (let i = this.entries.length - 1; i >= 0; i--) {
      const entry = this.entries[i]!
      if (entry.cells.contains(p)) return entry.source.id
    }
    return null
  }

  private emphasisOf(id: number): Emphasis {
    return id === this.selectedId ? 'selected' : id === this.hoveredId ? 'hover' : 'none'
  }

  // Repaints only bitmaps whose look changed: hover moves touch two masks, not hundreds.
  private repaintMasks(): void {
    let changed = false
    for (const entry of this.entries) {
      const { color, status } = entry.source
      const emphasis = this.emphasisOf(entry.source.id)
      const key = `${color}|${status}|${emphasis}`
      if (key === entry.paintedKey) continue
      entry.paintedKey = key
      changed = true
      const g = entry.bitmap.getContext('2d')
      if (!g || entry.cells.cols === 0 || entry.cells.rows === 0) continue
      const pixels = g.createImageData(entry.cells.cols, entry.cells.rows)
      paintCells(entry.cells, maskStyle(color, status, emphasis), new Uint32Array(pixels.data.buffer))
      g.putImageData(pixels, 0, 0)
    }
    if (changed) this.scene.invalidate()
    this.drawOverlaySoon()
  }

  private sceneMask(entry: MaskEntry): SceneMask {
    return { id: entry.source.id, x: entry.cells.x, y: entry.cells.y, step: entry.cells.step, bitmap: entry.bitmap }
  }

  private updateCursor(): void {
    const handler = this.drag ?? this.activeHandler()
    this.overlay.style.cursor =
      this.spaceHeld && !this.drag ? 'grab' : this.modeValue.kind === 'idle' ? 'default' : (handler?.cursor() ?? 'default')
  }

  private drawOverlaySoon(): void {
    if (this.overlayFrame || this.disposed) return
    this.overlayFrame = requestAnimationFrame(() => {
      this.overlayFrame = 0
      this.drawOverlay()
    })
  }

  private drawOverlay(): void {
    const g = this.overlay.getContext('2d')
    if (!g) return
    const dpr = window.devicePixelRatio || 1
    g.setTransform(dpr, 0, 0, dpr, 0, 0)
    g.clearRect(0, 0, this.viewSize.width, this.viewSize.height)
    if (!this.image) return
    if (this.masksVisible) {
      const boxes: LabelledBox[] = this.entries.map((e) => ({
        id: e.source.id,
        bbox: e.source.bbox,
        label: e.source.label,
        color: e.source.color,
        status: e.source.status,
        emphasis: this.emphasisOf(e.source.id)
      }))
      const selected = boxes.find((b) => b.emphasis === 'selected')
      if (selected) drawSelectionFrame(g, selected, this.transformValue)
      if (this.labelsVisible) drawInstanceLabels(g, boxes, this.transformValue, this.viewSize)
    }
    this.activeHandler()?.drawOverlay(g)
  }

  private pointerInput(e: MouseEvent): PointerInput {
    const rect = this.overlay.getBoundingClientRect()
    const view = { x: e.clientX - rect.left, y: e.clientY - rect.top }
    return { view, image: toImage(this.transformValue, view), button: e.button, shift: e.shiftKey, alt: e.altKey }
  }

  private listen(): void {
    const el = this.overlay
    const on = <K extends keyof HTMLElementEventMap>(type: K, fn: (e: HTMLElementEventMap[K]) => void, opts?: AddEventListenerOptions) => {
      el.addEventListener(type, fn as EventListener, opts)
      this.cleanup.push(() => el.removeEventListener(type, fn as EventListener, opts))
    }
    on('pointerdown', (e) => {
      if (this.modeValue.kind === 'idle') return
      el.setPointerCapture?.(e.pointerId)
      const input = this.pointerInput(e)
      this.pointer = input.view
      // Middle-drag and space-drag pan in every tool, without disturbing the tool's own state.
      if (e.button === 1 || (e.button === 0 && this.spaceHeld)) {
        e.preventDefault()
        this.context.beginPan(input.view)
        return
      }
      this.activeHandler()?.pointerDown(input)
      this.updateCursor()
    })
    on('pointermove', (e) => {
      const input = this.pointerInput(e)
      this.pointer = input.view
      if (this.image) this.emitter.fire('pointerMoved', input.image)
      if (this.drag) this.drag.pointerMove(input)
      else this.activeHandler()?.pointerMove(input)
    })
    on('pointerup', (e) => {
      const input = this.pointerInput(e)
      if (this.drag) {
        this.drag.pointerUp(input)
        this.drag = null
        this.updateCursor()
        return
      }
      this.activeHandler()?.pointerUp(input)
    })
    on('pointercancel', () => {
      this.drag?.reset()
      this.drag = null
      this.activeHandler()?.reset()
      this.updateCursor()
    })
    on('pointerleave', () => {
      if (this.drag) return
      this.pointer = null
      this.emitter.fire('pointerMoved', null)
      if (this.modeValue.kind === 'select') this.context.hover(null)
      this.drawOverlaySoon()
    })
    on('dblclick', (e) => {
      if (this.modeValue.kind !== 'idle') this.activeHandler()?.doubleClick(this.pointerInput(e))
    })
    on(
      'wheel',
      (e) => {
        e.preventDefault()
        if (!this.image) return
        const input = this.pointerInput(e)
        this.applyTransform(zoomAround(this.transformValue, input.view, wheelZoomFactor(e.deltaY, e.deltaMode)))
      },
      { passive: false }
    )
    on('contextmenu', (e) => e.preventDefault())
    on('auxclick', (e) => e.preventDefault())
  }
}

/** A short human name of a mode, for the status bar. */
export function describeMode(mode: Mode): string {
  switch (mode.kind) {
    case 'idle':
      return 'No image'
    case 'select':
      return 'Select'
    case 'pan':
      return 'Pan'
    case 'polygon':
      if (mode.closed) return 'Polygon · naming'
      if (mode.vertices.length === 0) return 'Polygon · click to add vertices'
      return `Polygon · ${mode.vertices.length} ${mode.vertices.length === 1 ? 'vertex' : 'vertices'}`
    case 'box':
      if (mode.naming) return 'Box · naming'
      if (isEmptyPrompt(mode.prompt)) return 'Box · drag around an object'
      return mode.prompt.points.length === 0 ? 'Box · click to refine' : `Box · ${describePoints(mode.prompt.points)}`
    case 'point':
      if (mode.naming) return 'Point · naming'
      if (isEmptyPrompt(mode.prompt)) return 'Point · click the object'
      return `Point · ${describePoints(mode.prompt.points)}`
    case 'missed':
      return mode.box ? 'Missed object · Enter: ask the engine' : 'Missed object · drag a box, or type a description'
    default:
      return assertNever(mode)
  }
}

/** A prompt's points in words: `2 points (1 negative)`. */
export function describePoints(points: readonly PromptPoint[]): string {
  const n = points.length
  const negative = points.filter((p) => !p.positive).length
  return `${n} ${n === 1 ? 'point' : 'points'}${negative > 0 ? ` (${negative} negative)` : ''}`
}

/** A proposed mask painted with the box tool's preview look (dimmed while a newer request is out). */
function previewBitmap(cells: MaskCells, pending: boolean): HTMLCanvasElement {
  const bitmap = document.createElement('canvas')
  bitmap.width = Math.max(1, cells.cols)
  bitmap.height = Math.max(1, cells.rows)
  const g = bitmap.getContext('2d')
  if (g && cells.cols > 0 && cells.rows > 0) {
    const pixels = g.createImageData(cells.cols, cells.rows)
    paintCells(cells, previewStyle(pending), new Uint32Array(pixels.data.buffer))
    g.putImageData(pixels, 0, 0)
  }
  return bitmap
}
