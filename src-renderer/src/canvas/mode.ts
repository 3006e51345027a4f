import { EMPTY_PROMPT, type PromptBox, type PromptDraft } from './prompt-draft'

/** A point in image pixels or in CSS pixels of the view, depending on where it is used. */
export interface Point {
  readonly x: number
  readonly y: number
}

/** The tools a user can pick. */
export type ToolKind = 'select' | 'pan' | 'polygon' | 'box' | 'point' | 'missed'

/**
 * What the canvas is doing. `idle` until an image is shown; a closed polygon waits for its name and
 * ignores clicks until the app resolves it (`finishPolygon`). The box and point tools build a prompt for
 * the engine; while `naming`, its mask waits for a name and clicks are ignored until `finishPrompt`.
 * The missed-object tool holds at most one box around an object the engine did not propose; the app
 * asks ROSE for it (`engine:refine`, situation `missed`) and shows the answer as a refinement preview.
 */
export type Mode =
  | { readonly kind: 'idle' }
  | { readonly kind: 'select' }
  | { readonly kind: 'pan' }
  | { readonly kind: 'polygon'; readonly vertices: readonly Point[]; readonly closed: boolean }
  | { readonly kind: 'box'; readonly prompt: PromptDraft; readonly naming: boolean }
  | { readonly kind: 'point'; readonly prompt: PromptDraft; readonly naming: boolean }
  | { readonly kind: 'missed'; readonly box: PromptBox | null }

/** The modes whose tool builds an engine prompt. */
export type PromptMode = Extract<Mode, { kind: 'box' | 'point' }>

/** The tool a mode belongs to; null while idle. */
export function toolOf(mode: Mode): ToolKind | null {
  switch (mode.kind) {
    case 'idle':
      return null
    case 'select':
    case 'pan':
    case 'polygon':
    case 'box':
    case 'point':
    case 'missed':
      return mode.kind
    default:
      return assertNever(mode)
  }
}

/** The prompt mode's state, or null in any other mode. */
export function promptModeOf(mode: Mode): PromptMode | null {
  return mode.kind === 'box' || mode.kind === 'point' ? mode : null
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
    case 'box':
    case 'point':
      return { kind: tool, prompt: EMPTY_PROMPT, naming: false }
    case 'missed':
      return { kind: 'missed', box: null }
    default:
      return assertNever(tool)
  }
}

/** Compile-time exhaustiveness check for tagged unions. */
export function assertNever(value: never): never {
  throw new Error(`unexpected value: ${JSON.stringify(value)}`)
}
