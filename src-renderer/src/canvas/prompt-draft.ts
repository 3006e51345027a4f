import type { RequestOf } from '../../../src-preload/contract'
import type { Point } from './mode'
import type { ViewTransform } from './viewport'
import { toScreen } from './viewport'

/** A box in image pixels, COCO order `[x, y, w, h]` as `engine:segment` takes it. */
export type PromptBox = readonly [number, number, number, number]

/** One click of a prompt: on the object (positive) or on something to leave out (negative). */
export interface PromptPoint extends Point {
  readonly positive: boolean
}

/** The prompt the box and point tools build, in image pixels: at most one box, any number of points. */
export interface PromptDraft {
  readonly box: PromptBox | null
  readonly points: readonly PromptPoint[]
}

/** What `engine:segment` takes besides the image id. */
export type SegmentPrompt = Omit<RequestOf<'engine:segment'>, 'imageId'>

/** The prompt with nothing in it (shared, so "unchanged" is a reference check). */
export const EMPTY_PROMPT: PromptDraft = Object.freeze({ box: null, points: Object.freeze([]) as readonly PromptPoint[] })

/** Clicks closer than this (view pixels) to an existing point add nothing: a double-click's second click. */
export const POINT_DUPLICATE_PX = 3

/** Most points one prompt may hold (the contract's limit). */
export const MAX_PROMPT_POINTS = 64

/** True when the prompt holds neither a box nor a point. */
export function isEmptyPrompt(prompt: PromptDraft): boolean {
  return prompt.box === null && prompt.points.length === 0
}

/**
 * The box spanned by two corners dragged in any direction, clamped to the image and snapped outwards to
 * whole pixels (a box drawn over an object should never shave its edge pixels); null when nothing is left.
 */
export function boxFromCorners(a: Point, b: Point, size: { readonly width: number; readonly height: number }): PromptBox | null {
  const x0 = Math.max(0, Math.floor(Math.min(a.x, b.x)))
  const y0 = Math.max(0, Math.floor(Math.min(a.y, b.y)))
  const x1 = Math.min(size.width, Math.ceil(Math.max(a.x, b.x)))
  const y1 = Math.min(size.height, Math.ceil(Math.max(a.y, b.y)))
  if (x1 - x0 < 1 || y1 - y0 < 1) return null
  return [x0, y0, x1 - x0, y1 - y0]
}

/** The prompt with one more point, or the same prompt when the click repeats the last point or the list is full. */
export function addPoint(prompt: PromptDraft, point: PromptPoint, t: ViewTransform): PromptDraft {
  const last = prompt.points[prompt.points.length - 1]
  if (last && screenDistance(t, last, point) <= POINT_DUPLICATE_PX) return prompt
  if (prompt.points.length >= MAX_PROMPT_POINTS) return prompt
  return { box: prompt.box, points: [...prompt.points, { x: point.x, y: point.y, positive: point.positive }] }
}

/** The prompt without its last element: the last point first, then the box. */
export function removeLast(prompt: PromptDraft): PromptDraft {
  if (prompt.points.length > 0) {
    const points = prompt.points.slice(0, -1)
    return prompt.box === null && points.length === 0 ? EMPTY_PROMPT : { box: prompt.box, points }
  }
  return EMPTY_PROMPT
}

/**
 * The `engine:segment` prompt for a draft: the box as is, points rounded to a tenth of a pixel with their
 * polarity (negative points tell SAM what to leave out); null for an empty draft, which asks nothing.
 */
export function toSegmentPrompt(prompt: PromptDraft): SegmentPrompt | null {
  if (isEmptyPrompt(prompt)) return null
  return {
    ...(prompt.box ? { box: [prompt.box[0], prompt.box[1], prompt.box[2], prompt.box[3]] as [number, number, number, number] } : {}),
    ...(prompt.points.length > 0
      ? { points: prompt.points.map((p) => ({ x: Math.round(p.x * 10) / 10, y: Math.round(p.y * 10) / 10, positive: p.positive })) }
      : {})
  }
}

function screenDistance(t: ViewTransform, a: Point, b: Point): number {
  const sa = toScreen(t, a)
  const sb = toScreen(t, b)
  return Math.hypot(sa.x - sb.x, sa.y - sb.y)
}
