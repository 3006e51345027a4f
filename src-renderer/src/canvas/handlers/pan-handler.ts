import type { Point } from '../mode'
import { panBy } from '../viewport'
import type { HandlerContext, PointerInput, ToolHandler } from './tool-handler'

/** The pan tool, and the drag that space-drag, middle-drag and background drags in select mode borrow. */
export class PanHandler implements ToolHandler {
  private last: Point | null = null

  constructor(private readonly ctx: HandlerContext) {}

  /** True while a drag is moving the view. */
  get dragging(): boolean {
    return this.last !== null
  }

  /** Starts a drag at a view point. */
  start(from: Point): void {
    this.last = from
  }

  pointerDown(e: PointerInput): void {
    if (e.button === 0) this.ctx.beginPan(e.view)
  }

  pointerMove(e: PointerInput): void {
    if (!this.last) return
    this.ctx.setTransform(panBy(this.ctx.transform, e.view.x - this.last.x, e.view.y - this.last.y))
    this.last = e.view
  }

  pointerUp(): void {
    this.last = null
  }

  doubleClick(): void {}

  key(): boolean {
    return false
  }

  cursor(): string {
    return this.last ? 'grabbing' : 'grab'
  }

  drawOverlay(): void {}

  reset(): void {
    this.last = null
  }
}
