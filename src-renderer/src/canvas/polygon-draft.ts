import type { Point } from './mode'
import type { ViewTransform } from './viewport'
import { toScreen } from './viewport'

/** How close (view pixels) a click must be to the first vertex to close the polygon. */
export const CLOSE_RADIUS_PX = 8
/** Clicks closer than this (view pixels) to the last vertex add nothing: the second click of a double-click. */
export const DUPLICATE_RADIUS_PX = 3

/** Fewest vertices a polygon needs. */
export const MIN_VERTICES = 3

function screenDistance(t: ViewTransform, a: Point, b: Point): number {
  const sa = toScreen(t, a)
  const sb = toScreen(t, b)
  return Math.hypot(sa.x - sb.x, sa.y - sb.y)
}

/** Keeps a point inside the image: masks live in the image frame, vertices outside it mean nothing. */
export function clampToImage(p: Point, size: { width: number; height: number }): Point {
  return { x: Math.min(size.width, Math.max(0, p.x)), y: Math.min(size.height, Math.max(0, p.y)) }
}

/** What a click at `p` does to a draft: add a vertex, close the polygon, or nothing. */
export type DraftClick = { readonly kind: 'add'; readonly point: Point } | { readonly kind: 'close' } | { readonly kind: 'ignore' }

/** Decides what a click does, in view-pixel tolerances so it feels the same at every zoom. */
export function classifyClick(vertices: readonly Point[], p: Point, t: ViewTransform): DraftClick {
  const first = vertices[0]
  const last = vertices[vertices.length - 1]
  if (first && vertices.length >= MIN_VERTICES && screenDistance(t, first, p) <= CLOSE_RADIUS_PX) return { kind: 'close' }
  if (last && screenDistance(t, last, p) <= DUPLICATE_RADIUS_PX) return { kind: 'ignore' }
  return { kind: 'add', point: p }
}

/** True when the draft has enough vertices to become a polygon. */
export function canClose(vertices: readonly Point[]): boolean {
  return vertices.length >= MIN_VERTICES
}

/** True when the pointer is over the first vertex and a click would close the polygon. */
export function isOverFirstVertex(vertices: readonly Point[], p: Point, t: ViewTransform): boolean {
  const first = vertices[0]
  return first !== undefined && vertices.length >= MIN_VERTICES && screenDistance(t, first, p) <= CLOSE_RADIUS_PX
}

/** The flat `x0 y0 x1 y1 …` ring the contract expects. */
export function flatten(vertices: readonly Point[]): number[] {
  return vertices.flatMap((v) => [v.x, v.y])
}
