import type { Mode, Point } from '../mode'
import { canClose, clampToImage, classifyClick, isOverFirstVertex } from '../polygon-draft'
import { toImage, toScreen } from '../viewport'
import { draftKey, type HandlerContext, type KeyInput, type PointerInput, type ToolHandler } from './tool-handler'

type PolygonMode = Extract<Mode, { kind: 'polygon' }>

const DRAFT_COLOR = '#4cc2ff'

/**
 * The polygon tool: each click adds a vertex; clicking the first vertex, Enter or a double-click closes
 * it; Backspace (or Ctrl+Z) removes the last vertex; Esc drops the draft, a second Esc leaves the tool.
 */
export class PolygonHandler implements ToolHandler {
  constructor(private readonly ctx: HandlerContext) {}

  private get draft(): PolygonMode | null {
    const mode = this.ctx.mode
    return mode.kind === 'polygon' ? mode : null
  }

  private setVertices(vertices: readonly Point[]): void {
    this.ctx.setMode({ kind: 'polygon', vertices, closed: false })
  }

  pointerDown(e: PointerInput): void {
    const draft = this.draft
    const size = this.ctx.imageSize
    if (!draft || draft.closed || !size || e.button !== 0) return
    const click = classifyClick(draft.vertices, clampToImage(e.image, size), this.ctx.transform)
    switch (click.kind) {
      case 'add':
        this.setVertices([...draft.vertices, click.point])
        break
      case 'close':
        this.ctx.completePolygon()
        break
      case 'ignore':
        break
    }
  }

  pointerMove(): void {
    if (this.draft && !this.draft.closed && this.draft.vertices.length > 0) this.ctx.requestOverlay()
  }

  pointerUp(): void {}

  doubleClick(): void {
    const draft = this.draft
    if (draft && !draft.closed && canClose(draft.vertices)) this.ctx.completePolygon()
  }

  key(e: KeyInput): boolean {
    const draft = this.draft
    if (!draft || draft.closed) return false
    // Ctrl+Enter is the app's (auto-annotate), not "close the polygon".
    if (e.key === 'Enter' && !e.ctrl) {
      if (canClose(draft.vertices)) this.ctx.completePolygon()
      return true
    }
    return (
      draftKey(e, {
        empty: draft.vertices.length === 0,
        stepBack: () => this.setVertices(draft.vertices.slice(0, -1)),
        clear: () => this.setVertices([]),
        leave: () => this.ctx.setTool('select')
      }) ?? false
    )
  }

  cursor(): string {
    return 'crosshair'
  }

  drawOverlay(g: CanvasRenderingContext2D): void {
    const draft = this.draft
    if (!draft || draft.vertices.length === 0) return
    const t = this.ctx.transform
    const points = draft.vertices.map((v) => toScreen(t, v))
    const pointer = this.ctx.pointer
    const size = this.ctx.imageSize
    const closing = pointer !== null && isOverFirstVertex(draft.vertices, toImage(t, pointer), t)

    g.save()
    g.lineJoin = 'round'
    g.beginPath()
    points.forEach((p, i) => (i === 0 ? g.moveTo(p.x, p.y) : g.lineTo(p.x, p.y)))
    if (draft.closed) {
      g.closePath()
      g.fillStyle = 'rgba(76, 194, 255, 0.25)'
      g.fill()
    } else if (pointer && size) {
      // Rubber band to where the next vertex would go (clamped like the click would be).
      const next = closing ? points[0]! : toScreen(t, clampToImage(toImage(t, pointer), size))
      g.lineTo(next.x, next.y)
    }
    g.lineWidth = 3
    g.strokeStyle = 'rgba(0, 0, 0, 0.6)'
    g.stroke()
    g.lineWidth = 1.5
    g.strokeStyle = DRAFT_COLOR
    g.stroke()

    points.forEach((p, i) => {
      const first = i === 0
      g.beginPath()
      g.arc(p.x, p.y, first && closing ? 7 : first ? 5 : 3.5, 0, Math.PI * 2)
      g.fillStyle = first ? (closing ? '#ffffff' : DRAFT_COLOR) : '#0b1620'
      g.fill()
      g.lineWidth = 1.5
      g.strokeStyle = first && closing ? DRAFT_COLOR : '#ffffff'
      g.stroke()
    })
    g.restore()
  }

  reset(): void {}
}
