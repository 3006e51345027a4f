/**
 * Where an original image sits in a pack's square frames (model-pack.md section 5): longest side
 * scaled to the frame, top-left, padding right and bottom. Rounding follows the trainer's Python
 * `round` (half to even), so the content size — and with it the NMS area and the mask mapping —
 * agrees with the golden files exactly.
 */

/** Width and height of the oriented image, in pixels. */
export interface ImageSize {
  readonly width: number
  readonly height: number
}

/** An image placed in a square frame. */
export interface Letterbox {
  /** The frame side. */
  readonly frame: number
  /** Frame pixels per original pixel. */
  readonly scale: number
  /** Columns and rows of the frame covered by the image. */
  readonly contentWidth: number
  readonly contentHeight: number
}

/** Python's round(): to the nearest integer, ties to even. */
export function roundHalfEven(x: number): number {
  const r = Math.round(x)
  // Math.round sends ties up; Python sends them to the even neighbour.
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r
}

/** The letterbox of an image in a frame of side `frame`. */
export function letterbox(image: ImageSize, frame: number): Letterbox {
  if (!Number.isInteger(image.width) || !Number.isInteger(image.height) || image.width < 1 || image.height < 1) {
    throw new RangeError(`image: expected a positive integer width and height, got ${image.width}×${image.height}`)
  }
  const scale = frame / Math.max(image.width, image.height)
  // A 1×20000 image still covers one row of the frame.
  return {
    frame,
    scale,
    contentWidth: Math.max(1, roundHalfEven(image.width * scale)),
    contentHeight: Math.max(1, roundHalfEven(image.height * scale))
  }
}

/**
 * The `{box}` text of refinement prompts: `[x1, y1, x2, y2]` as integer percent of the original
 * width/height (x2, y2 exclusive), clamped to 0…100 — `masks.box_to_text` of the trainer.
 */
export function boxToText(box: readonly [number, number, number, number], image: ImageSize): string {
  const [x, y, w, h] = box
  const values = [x / image.width, y / image.height, (x + w) / image.width, (y + h) / image.height]
  return `[${values.map((v) => Math.min(100, Math.max(0, roundHalfEven(100 * v)))).join(', ')}]`
}
