import type { Point } from '../mode'
import { boxFromCorners, type PromptBox } from '../prompt-draft'
import { toScreen } from '../viewport'
import { strokeDashedRect } from './prompt-handler'
import { draftKey, type HandlerContext, type KeyInput, type PointerInput, type ToolHandler } from './tool-handler'

// A press that moves further than this (view pixels) is a drag that draws a box, not a click.
const CLICK_SLOP_PX = 4

/**
 * The missed-object tool: dragging draws the box around an object the engine did not propose (a new
 * drag replaces it). The box is all this tool holds; the app turns it into an `engine:refine` request
 * (situation `missed`). Backspace or Ctrl+Z drops the box, Esc drops it and a second Esc leaves the tool.
 */
export class MissedHandler implements ToolHandler {
  private press: { readonly view: Point; readonly image: Point } | null = null
  private drag: { readonly from: Point; to: Point } | null = null

  constructor(private readonly ctx: HandlerContext) {}

  private get box(): PromptBox | null {
    const mode = this.ctx.mode
    return mode.kind === 'missed' ? mode.box : null
  }

  private setBox(box: PromptBox | null): void {
    if (this.ctx.mode.kind === 'missed' && this.box !== box) this.ctx.setMode({ kind: 'missed', box })
  }

  pointerDown(e: PointerInput): void {
    if (this.ctx.mode.kind !== 'missed' || !this.ctx.imageSize || e.button !== 0) return
    this.press = { view: e.view, image: e.image }
  }

  pointerMove(e: PointerInput): void {
    if (this.drag) {
      this.drag.to = e.image
      this.ctx.requestOverlay()
      return
    }
    const press = this.press
    if (press && Math.hypot(e.view.x - press.view.x, e.view.y - press.view.y) > CLICK_SLOP_PX) {
      this.press = null
      this.drag = { from: press.image, to: e.image }
      this.ctx.requestOverlay()
    }
  }

  pointerUp(e: PointerInput): void {
    const drag = this.drag
    this.press = null
    this.drag = null
    const size = this.ctx.imageSize
    if (!drag || !size) return
    const box = boxFromCorners(drag.from, e.image, size)
    if (box) this.setBox(box)
    else this.ctx.requestOverlay()
  }

  doubleClick(): void {}

  key(e: KeyInput): boolean {
    if (this.ctx.mode.kind !== 'missed') return false
    const drop = (): void => this.setBox(null)
    return draftKey(e, { empty: !this.box, stepBack: drop, clear: drop, leave: () => this.ctx.setTool('select') }) ?? false
  }

  cursor(): string {
    return 'crosshair'
  }

  drawOverlay(g: CanvasRenderingContext2D): void {
    const t = this.ctx.transform
    const box = this.box
    if (this.drag) {
      const a = toScreen(t, this.drag.from)
      const b = toScreen(t, this.drag.to)
      strokeDashedRect(g, Math.min(a.x, b.x), Math.min(a.y, b.y), Math.abs(b.x - a.x), Math.abs(b.y - a.y))
    } else if (box) {
      const a = toScreen(t, { x: box[0], y: box[1] })
      strokeDashedRect(g, a.x, a.y, box[2] * t.zoom, box[3] * t.zoom)
    }
  }

  reset(): void {
    this.press = null
    this.drag = null
  }
}
