import type { Mode, Point, ToolKind } from '../mode'
import type { ViewTransform } from '../viewport'

/** One pointer event, in view CSS pixels and in image pixels. */
export interface PointerInput {
  readonly view: Point
  readonly image: Point
  /** 0 left, 1 middle, 2 right (DOM convention). */
  readonly button: number
  /** Modifier keys held (the prompt tools read them as "negative point"). */
  readonly shift: boolean
  readonly alt: boolean
}

/** One key press, as the canvas needs it. */
export interface KeyInput {
  readonly key: string
  readonly ctrl: boolean
  readonly shift: boolean
  readonly alt: boolean
}

/** What a tool handler may see and do; the facade implements it and keeps the state. */
export interface HandlerContext {
  readonly mode: Mode
  readonly transform: ViewTransform
  readonly imageSize: { readonly width: number; readonly height: number } | null
  /** The last pointer position in view pixels, null when the pointer is outside. */
  readonly pointer: Point | null
  readonly hoveredId: number | null
  setMode(mode: Mode): void
  setTool(tool: ToolKind): void
  /** The topmost instance whose mask covers an image point. */
  hitTest(p: Point): number | null
  /** Sets the hovered instance and tells listeners. */
  hover(id: number | null): void
  /** Sets the selected instance and tells listeners. */
  select(id: number | null): void
  /** Starts dragging the view from a view point; the pan handler takes the following pointer events. */
  beginPan(from: Point): void
  /** Moves the view. */
  setTransform(t: ViewTransform): void
  /** Closes the polygon being drawn and hands it to the app for a name. */
  completePolygon(): void
  /** Hands the box/point prompt's mask to the app for a name. */
  completePrompt(): void
  /** Asks for the overlay (draft, labels) to be drawn again. */
  requestOverlay(): void
}

/** One tool's reaction to input, and what it draws on top of the image. */
export interface ToolHandler {
  pointerDown(e: PointerInput): void
  pointerMove(e: PointerInput): void
  pointerUp(e: PointerInput): void
  doubleClick(e: PointerInput): void
  /** Returns true when the key was used, so the app does not act on it too. */
  key(e: KeyInput): boolean
  /** CSS cursor while this tool is active. */
  cursor(): string
  /** Draws tool feedback in view pixels (the overlay is already scaled for the device pixel ratio). */
  drawOverlay(ctx: CanvasRenderingContext2D): void
  /** Forgets any gesture in progress (tool switch, image change). */
  reset(): void
}

/** A drawing tool's unfinished work, as the keys every drawing tool shares see it. */
export interface DraftSteps {
  /** Nothing drawn yet. */
  readonly empty: boolean
  /** Takes the last step back (a vertex, a point, the box). */
  stepBack(): void
  /** Drops the whole draft. */
  clear(): void
  /** Leaves the tool for the select tool. */
  leave(): void
}

/**
 * The keys every drawing tool shares: Backspace and Ctrl+Z take the last step back; Esc drops the
 * draft, or leaves the tool when there is none. An empty draft lets Ctrl+Z through to the project's
 * undo, but never Backspace: one press too many must not delete the selected instance. Returns
 * whether the key was handled, or undefined when it is none of these.
 */
export function draftKey(e: KeyInput, draft: DraftSteps): boolean | undefined {
  const undoKey = e.ctrl && !e.shift && e.key.toLowerCase() === 'z'
  if (e.key === 'Backspace' || undoKey) {
    if (draft.empty) return e.key === 'Backspace'
    draft.stepBack()
    return true
  }
  if (e.key === 'Escape') {
    if (draft.empty) draft.leave()
    else draft.clear()
    return true
  }
  return undefined
}
