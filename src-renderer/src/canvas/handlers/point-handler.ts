import type { Point } from '../mode'
import { PromptHandler } from './prompt-handler'
import type { PointerInput } from './tool-handler'

/** The point tool: clicks alone make the prompt; dragging moves the view, as in the select tool. */
export class PointHandler extends PromptHandler {
  protected get dragging(): boolean {
    return false
  }

  protected beginDrag(press: { readonly view: Point }): void {
    this.ctx.beginPan(press.view)
  }

  protected dragTo(): void {}

  protected endDrag(_e: PointerInput): void {}

  protected drawDrag(): void {}
}
