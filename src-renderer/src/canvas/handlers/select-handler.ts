import type { Point } from '../mode'
import type { HandlerContext, PointerInput, ToolHandler } from './tool-handler'

// A press that moves further than this (view pixels) is a drag of the view, not a click.
const CLICK_SLOP_PX = 4

/** The select tool: hover and click pick instances; dragging the image pans it. */
export class SelectHandler implements ToolHandler {
  private press: { readonly at: Point; readonly id: number | null } | null = null

  constructor(private readonly ctx: HandlerContext) {}

  pointerDown(e: PointerInput): void {
    if (e.button !== 0) return
    this.press = { at: e.view, id: this.ctx.hitTest(e.image) }
  }

  pointerMove(e: PointerInput): void {
    if (this.press) {
      if (Math.hypot(e.view.x - this.press.at.x, e.view.y - this.press.at.y) > CLICK_SLOP_PX) {
        const from = this.press.at
        this.press = null
        this.ctx.beginPan(from)
      }
      return
    }
    this.ctx.hover(this.ctx.hitTest(e.image))
  }

  pointerUp(e: PointerInput): void {
    if (!this.press || e.button !== 0) return
    this.ctx.select(this.press.id)
    this.press = null
  }

  doubleClick(): void {}

  key(): boolean {
    return false
  }

  cursor(): string {
    return this.ctx.hoveredId !== null ? 'pointer' : 'default'
  }

  drawOverlay(): void {}

  reset(): void {
    this.press = null
  }
}
