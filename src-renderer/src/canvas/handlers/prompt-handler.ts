import type { Point, PromptMode } from '../mode'
import { promptModeOf } from '../mode'
import { EMPTY_PROMPT, POINT_DUPLICATE_PX, addPoint, isEmptyPrompt, removeLast, type PromptDraft } from '../prompt-draft'
import { toScreen } from '../viewport'
import { draftKey, type HandlerContext, type KeyInput, type PointerInput, type ToolHandler } from './tool-handler'

// A press that moves further than this (view pixels) is a drag (a box, or a pan), not a click.
const CLICK_SLOP_PX = 4
// A double-click's first click lands this soon before the dblclick event.
const DOUBLE_CLICK_MS = 600

const BOX_COLOR = '#4cc2ff'
const POSITIVE_COLOR = '#3fb950'
const NEGATIVE_COLOR = '#f85149'

/** A press of the pointer that has not become a drag yet. */
interface Press {
  readonly view: Point
  readonly image: Point
  readonly button: number
  /** Right button, Shift or Alt: the point marks something to leave out (X-AnyLabeling / CVAT habit). */
  readonly negative: boolean
}

/**
 * What the box and point tools share: clicks add prompt points (left = on the object; right-click,
 * Shift or Alt = leave this out), Backspace or Ctrl+Z removes the last one, Enter or a double-click hands
 * the mask over for a name, Esc drops the prompt and a second Esc leaves the tool. Subclasses decide what
 * a drag does.
 */
export abstract class PromptHandler implements ToolHandler {
  protected press: Press | null = null
  private lastAdded: { readonly at: number; readonly view: Point } | null = null

  constructor(protected readonly ctx: HandlerContext) {}

  /** The prompt mode, when the canvas is in one and not waiting for a name. */
  protected get editable(): PromptMode | null {
    const mode = promptModeOf(this.ctx.mode)
    return mode && !mode.naming ? mode : null
  }

  protected setPrompt(prompt: PromptDraft): void {
    const mode = this.editable
    if (mode && mode.prompt !== prompt) this.ctx.setMode({ kind: mode.kind, prompt, naming: false })
  }

  /** A drag left the click slop: the subclass takes it from here. */
  protected abstract beginDrag(press: Press, e: PointerInput): void
  /** The pointer moved during a drag this handler owns. */
  protected abstract dragTo(e: PointerInput): void
  /** The drag this handler owns ended. */
  protected abstract endDrag(e: PointerInput): void
  /** Whether a drag this handler owns is in progress. */
  protected abstract get dragging(): boolean
  /** Draws the drag in progress, if any. */
  protected abstract drawDrag(g: CanvasRenderingContext2D): void

  pointerDown(e: PointerInput): void {
    if (!this.editable || !this.ctx.imageSize || (e.button !== 0 && e.button !== 2)) return
    this.press = { view: e.view, image: e.image, button: e.button, negative: e.button === 2 || e.shift || e.alt }
  }

  pointerMove(e: PointerInput): void {
    if (this.dragging) return this.dragTo(e)
    const press = this.press
    if (press && Math.hypot(e.view.x - press.view.x, e.view.y - press.view.y) > CLICK_SLOP_PX) {
      this.press = null
      this.beginDrag(press, e)
    }
  }

  pointerUp(e: PointerInput): void {
    if (this.dragging) return this.endDrag(e)
    const press = this.press
    this.press = null
    const mode = this.editable
    const size = this.ctx.imageSize
    if (!press || !mode || !size) return
    const p = press.image
    // A point outside the image means nothing to the engine.
    if (p.x < 0 || p.y < 0 || p.x >= size.width || p.y >= size.height) return
    const next = addPoint(mode.prompt, { x: p.x, y: p.y, positive: !press.negative }, this.ctx.transform)
    if (next === mode.prompt) return
    this.lastAdded = { at: performance.now(), view: press.view }
    this.setPrompt(next)
  }

  doubleClick(e: PointerInput): void {
    const mode = this.editable
    if (!mode) return
    let prompt = mode.prompt
    // The first click of the double-click added a point; it was meant as "done", not as a refinement,
    // unless that point is the whole prompt (double-click an object with the point tool: segment and name).
    const added = this.lastAdded
    if (
      added &&
      performance.now() - added.at < DOUBLE_CLICK_MS &&
      Math.hypot(added.view.x - e.view.x, added.view.y - e.view.y) <= POINT_DUPLICATE_PX + CLICK_SLOP_PX &&
      (prompt.box !== null || prompt.points.length > 1)
    ) {
      prompt = removeLast(prompt)
      this.setPrompt(prompt)
    }
    this.lastAdded = null
    if (!isEmptyPrompt(prompt)) this.ctx.completePrompt()
  }

  key(e: KeyInput): boolean {
    const mode = this.editable
    if (!mode) return false
    const empty = isEmptyPrompt(mode.prompt)
    // Ctrl+Enter is the app's (auto-annotate), not "name this mask".
    if (e.key === 'Enter' && !e.ctrl) {
      if (empty) return false
      this.ctx.completePrompt()
      return true
    }
    return (
      draftKey(e, {
        empty,
        stepBack: () => this.setPrompt(removeLast(mode.prompt)),
        clear: () => this.setPrompt(EMPTY_PROMPT),
        leave: () => this.ctx.setTool('select')
      }) ?? false
    )
  }

  cursor(): string {
    return 'crosshair'
  }

  drawOverlay(g: CanvasRenderingContext2D): void {
    const mode = promptModeOf(this.ctx.mode)
    if (!mode) return
    const t = this.ctx.transform
    g.save()
    if (mode.prompt.box && !this.dragging) {
      const [x, y, w, h] = mode.prompt.box
      const a = toScreen(t, { x, y })
      strokeDashedRect(g, a.x, a.y, w * t.zoom, h * t.zoom)
    }
    this.drawDrag(g)
    for (const p of mode.prompt.points) {
      const s = toScreen(t, p)
      drawPromptPoint(g, s, p.positive)
    }
    g.restore()
  }

  reset(): void {
    this.press = null
    this.lastAdded = null
  }
}

/** A dashed box outline that reads on any image (dark halo under the colour). */
export function strokeDashedRect(g: CanvasRenderingContext2D, x: number, y: number, w: number, h: number): void {
  g.save()
  g.setLineDash([6, 4])
  g.lineWidth = 3
  g.strokeStyle = 'rgba(0, 0, 0, 0.6)'
  g.strokeRect(x, y, w, h)
  g.lineWidth = 1.5
  g.strokeStyle = BOX_COLOR
  g.strokeRect(x, y, w, h)
  g.restore()
}

/** A prompt point: a green disc with a plus (on the object) or a red one with a minus (leave out). */
export function drawPromptPoint(g: CanvasRenderingContext2D, at: Point, positive: boolean): void {
  g.beginPath()
  g.arc(at.x, at.y, 6, 0, Math.PI * 2)
  g.fillStyle = positive ? POSITIVE_COLOR : NEGATIVE_COLOR
  g.fill()
  g.lineWidth = 1.5
  g.strokeStyle = '#ffffff'
  g.stroke()
  g.beginPath()
  g.moveTo(at.x - 3, at.y)
  g.lineTo(at.x + 3, at.y)
  if (positive) {
    g.moveTo(at.x, at.y - 3)
    g.lineTo(at.x, at.y + 3)
  }
  g.stroke()
}
