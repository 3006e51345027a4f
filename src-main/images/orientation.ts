/**
 * The one rule for which frame of an image everything works in: the **oriented frame**, i.e. the
 * stored pixels with the EXIF orientation applied, exactly as sharp's `autoOrient()` (and every
 * browser's default `image-orientation: from-image`) does. Width and height in the store, masks,
 * the engine's input, the display image and COCO export all use this frame; nothing downstream ever
 * sees a raw, unrotated frame. `openImage(...).pipeline()` is the decoder that applies the rule.
 *
 * EXIF orientation values (what the stored frame's first row and first column show):
 *   1 top-left (as stored)          2 mirrored horizontally
 *   3 rotated 180°                  4 mirrored vertically
 *   5 transposed (mirror of 6)      6 rotated 90° clockwise to display
 *   7 transversed (mirror of 8)     8 rotated 90° counter-clockwise to display
 */

/** An EXIF orientation value, 1–8. */
export type Orientation = 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8

/** True when the value is a valid EXIF orientation. */
export function isOrientation(value: unknown): value is Orientation {
  return typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= 8
}

/** The orientation to apply: missing or out-of-range tags count as 1, as sharp and browsers treat them. */
export function normalizeOrientation(value: unknown): Orientation {
  return isOrientation(value) ? value : 1
}

/** True when the orientation turns the image a quarter turn, so width and height swap. */
export function swapsAxes(orientation: Orientation): boolean {
  return orientation >= 5
}

/** The oriented frame's size, from the stored frame's size and the orientation. */
export function orientedSize(
  stored: { readonly width: number; readonly height: number },
  orientation: Orientation
): { width: number; height: number } {
  return swapsAxes(orientation) ? { width: stored.height, height: stored.width } : { width: stored.width, height: stored.height }
}

/**
 * Where a stored-frame pixel lands in the oriented frame. The engine and export never need it (they
 * decode oriented pixels); it states the rule precisely and lets tests check sharp against it.
 */
export function storedToOriented(
  x: number,
  y: number,
  stored: { readonly width: number; readonly height: number },
  orientation: Orientation
): { x: number; y: number } {
  const w = stored.width - 1
  const h = stored.height - 1
  switch (orientation) {
    case 1:
      return { x, y }
    case 2:
      return { x: w - x, y }
    case 3:
      return { x: w - x, y: h - y }
    case 4:
      return { x, y: h - y }
    case 5:
      return { x: y, y: x }
    case 6:
      return { x: h - y, y: x }
    case 7:
      return { x: h - y, y: w - x }
    case 8:
      return { x: y, y: w - x }
  }
}
