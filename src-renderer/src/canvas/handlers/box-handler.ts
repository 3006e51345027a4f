import type { Point } from '../mode'
import { boxFromCorners } from '../prompt-draft'
import { toScreen } from '../viewport'
import { PromptHandler, strokeDashedRect } from './prompt-handler'
import type { PointerInput } from './tool-handler'

/**
 * The box tool: dragging draws a box around an object (a new box starts a new prompt), clicks then
 * refine it with points; everything else is the prompt tools' shared behaviour.
 */
export class BoxHandler extends PromptHandler {
  private drag: { readonly from: Point; to: Point } | null = null

  protected get dragging(): boolean {
    return this.drag !== null
  }

  protected beginDrag(press: { readonly image: Point; readonly button: number }, e: PointerInput): void {
    // Only the left button draws boxes; a right-drag is nothing.
    if (press.button !== 0) return
    this.drag = { from: press.image, to: e.image }
    this.ctx.requestOverlay()
  }

  protected dragTo(e: PointerInput): void {
    if (!this.drag) return
    this.drag.to = e.image
    this.ctx.requestOverlay()
  }

  protected endDrag(e: PointerInput): void {
    const drag = this.drag
    this.drag = null
    const size = this.ctx.imageSize
    if (!drag || !size) return
    const box = boxFromCorners(drag.from, e.image, size)
    if (box) this.setPrompt({ box, points: [] })
    else this.ctx.requestOverlay()
  }

  protected drawDrag(g: CanvasRenderingContext2D): void {
    if (!this.drag) return
    const t = this.ctx.transform
    const a = toScreen(t, this.drag.from)
    const b = toScreen(t, this.drag.to)
    strokeDashedRect(g, Math.min(a.x, b.x), Math.min(a.y, b.y), Math.abs(b.x - a.x), Math.abs(b.y - a.y))
  }

  override reset(): void {
    super.reset()
    this.drag = null
  }
}
