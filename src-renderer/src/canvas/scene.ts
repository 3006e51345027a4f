import type { ViewTransform } from './viewport'

/** One mask as the scene draws it: a bitmap of `cols × rows` cells placed at (x, y), `step` image pixels per cell. */
export interface SceneMask {
  readonly id: number
  readonly x: number
  readonly y: number
  readonly step: number
  readonly bitmap: HTMLCanvasElement
}

/** The top layers: the box/point prompt's mask, and above it a text correction's answer. */
export type PreviewLayer = 'prompt' | 'refine'

/** The drawing half of the canvas: the image and the mask bitmaps under a view transform. */
export interface Scene {
  /** Sets the drawing surface size in CSS pixels. */
  resize(width: number, height: number): void
  /** Shows an image scaled to the given size in image pixels (the oriented frame), or nothing. */
  setImage(image: HTMLImageElement | null, width: number, height: number): void
  /** Applies the view transform. */
  setTransform(t: ViewTransform): void
  /** Replaces the masks; the array order is the drawing order (last on top). */
  setMasks(masks: readonly SceneMask[]): void
  /** Shows or hides every mask (the preview stays: it is what the user is working on). */
  setMasksVisible(visible: boolean): void
  /** Shows an engine's proposed mask in a layer on top of everything (refine above prompt), or removes it. */
  setPreview(mask: SceneMask | null, layer?: PreviewLayer): void
  /** Draws again on the next frame (after a bitmap was repainted). */
  invalidate(): void
  dispose(): void
}
