/** A point in image pixels or in CSS pixels of the view, depending on where it is used. */
export interface Point {
  readonly x: number
  readonly y: number
}

/** The tools a user can pick. */
export type ToolKind = 'select' | 'pan' | 'polygon'

/**
 * What the canvas is doing. `idle` until an image is shown; a closed polygon waits for its name and
 * ignores clicks until the app resolves it (`finishPolygon`).
 */
export type Mode =
  | { readonly kind: 'idle' }
  | { readonly kind: 'select' }
  | { readonly kind: 'pan' }
  | { readonly kind: 'polygon'; readonly vertices: readonly Point[]; readonly closed: boolean }

/** The tool a mode belongs to; null while idle. */
export function toolOf(mode: Mode): ToolKind | null {
  switch (mode.kind) {
    case 'idle':
      return null
    case 'select':
    case 'pan':
    case 'polygon':
      return mode.kind
    default:
      return assertNever(mode)
  }
}

/** The fresh mode a tool starts in. */
export function modeForTool(tool: ToolKind): Mode {
  switch (tool) {
    case 'select':
      return { kind: 'select' }
    case 'pan':
      return { kind: 'pan' }
    case 'polygon':
      return { kind: 'polygon', vertices: [], closed: false }
    default:
      return assertNever(tool)
  }
}

/** Compile-time exhaustiveness check for tagged unions. */
export function assertNever(value: never): never {
  throw new Error(`unexpected value: ${JSON.stringify(value)}`)
}
