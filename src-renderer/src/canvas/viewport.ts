import type { Point } from './mode'

/** Maps image pixels to view CSS pixels: `screen = image × zoom + (x, y)`. */
export interface ViewTransform {
  readonly zoom: number
  readonly x: number
  readonly y: number
}

/** Zoom limits: a 40k-pixel panorama still fits; single pixels can be made 64 CSS pixels wide. */
export const MIN_ZOOM = 0.01
/** Largest zoom factor. */
export const MAX_ZOOM = 64

/** The identity transform. */
export const IDENTITY: ViewTransform = { zoom: 1, x: 0, y: 0 }

function clampZoom(zoom: number): number {
  return Math.min(MAX_ZOOM, Math.max(MIN_ZOOM, zoom))
}

/** The transform that shows the whole image centred in the view (small images are enlarged to fill it). */
export function fitTransform(image: { width: number; height: number }, view: { width: number; height: number }, padding = 24): ViewTransform {
  if (image.width <= 0 || image.height <= 0 || view.width <= 0 || view.height <= 0) return IDENTITY
  const availableW = Math.max(1, view.width - 2 * padding)
  const availableH = Math.max(1, view.height - 2 * padding)
  const zoom = clampZoom(Math.min(availableW / image.width, availableH / image.height))
  return { zoom, x: (view.width - image.width * zoom) / 2, y: (view.height - image.height * zoom) / 2 }
}

/** Zooms by `factor` keeping the image point under `anchor` (view pixels) where it is. */
export function zoomAround(t: ViewTransform, anchor: Point, factor: number): ViewTransform {
  const zoom = clampZoom(t.zoom * factor)
  const scale = zoom / t.zoom
  return { zoom, x: anchor.x - (anchor.x - t.x) * scale, y: anchor.y - (anchor.y - t.y) * scale }
}

/** Sets an absolute zoom around an anchor. */
export function zoomToAround(t: ViewTransform, anchor: Point, zoom: number): ViewTransform {
  return zoomAround(t, anchor, clampZoom(zoom) / t.zoom)
}

/** Moves the view by a drag of (dx, dy) view pixels. */
export function panBy(t: ViewTransform, dx: number, dy: number): ViewTransform {
  return { zoom: t.zoom, x: t.x + dx, y: t.y + dy }
}

/** View pixels → image pixels. */
export function toImage(t: ViewTransform, p: Point): Point {
  return { x: (p.x - t.x) / t.zoom, y: (p.y - t.y) / t.zoom }
}

/** Image pixels → view pixels. */
export function toScreen(t: ViewTransform, p: Point): Point {
  return { x: p.x * t.zoom + t.x, y: p.y * t.zoom + t.y }
}

/**
 * Zoom factor for one wheel event. Exponential in the delta, so trackpads (many small deltas) and
 * wheels (few large ones) zoom at the same speed per distance scrolled; lines and pages are normalised.
 */
export function wheelZoomFactor(deltaY: number, deltaMode: number): number {
  const pixels = deltaMode === 1 ? deltaY * 16 : deltaMode === 2 ? deltaY * 400 : deltaY
  return Math.exp(-Math.max(-200, Math.min(200, pixels)) * 0.0025)
}
