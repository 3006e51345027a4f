/**
 * Which frame an imported annotation's coordinates are in, for images with an EXIF orientation.
 *
 * The project keeps masks in the oriented (upright) frame. Tools disagree: labelme, CVAT and ultralytics
 * apply EXIF and write upright coordinates; pycocotools-based scripts and tools that read pixels with
 * OpenCV's IMREAD_UNCHANGED or PIL without exif_transpose write the stored frame. For orientations 5–8
 * (quarter turns) the two frames have width and height swapped, so the size the file declares tells
 * them apart: upright size → used as is; swapped size → the coordinates are turned into the upright
 * frame. Orientations 2–4 and square images give both frames the same size: nothing tells them apart,
 * and the upright frame is assumed (what EXIF-aware tools write) unless the import forces `stored`.
 */
import { decodeRowMajor, encodeRowMajor, type RleRuns } from '../masks/rle'
import { normalizeOrientation, orientedSize, storedToOriented, swapsAxes, type Orientation } from '../images/orientation'
import type { ImageRef } from '../store/project-store'

/** The frame coordinates are in: the project's upright frame, or the file's stored pixels. */
export type Frame = 'oriented' | 'stored'

/** The frame decided for an image, and its size in that frame. */
export interface FrameChoice {
  readonly frame: Frame
  readonly width: number
  readonly height: number
}

/**
 * Decides the frame of an image's annotations from the size the file declares (null when it declares
 * none), or as `mode` forces; answers a problem when the declared size fits neither frame.
 */
export function decideFrame(
  image: ImageRef,
  declared: { readonly width: number; readonly height: number } | null,
  mode: 'auto' | Frame
): FrameChoice | { readonly problem: string } {
  const orientation = normalizeOrientation(image.orientation)
  const oriented = { frame: 'oriented' as const, width: image.width, height: image.height }
  const storedSize = orientedSize(image, orientation) // the inverse of a quarter turn swaps back
  const stored = { frame: 'stored' as const, width: storedSize.width, height: storedSize.height }
  const fits = (c: FrameChoice) => declared === null || (declared.width === c.width && declared.height === c.height)
  const describe = () =>
    `the file says ${declared!.width}x${declared!.height} (width x height) but the image is ${image.width}x${image.height}` +
    (swapsAxes(orientation) ? ` upright and ${stored.width}x${stored.height} as stored (EXIF orientation ${orientation})` : '')
  if (mode === 'oriented' || orientation === 1) return fits(oriented) ? oriented : { problem: describe() }
  if (mode === 'stored') return fits(stored) ? stored : { problem: describe() }
  if (fits(oriented)) return oriented
  if (fits(stored)) return stored
  return { problem: describe() }
}

/**
 * Turns a point given in pixel-corner coordinates of the stored frame (`width` × `height`) into the
 * oriented frame; the continuous counterpart of orientation.ts' pixel mapping.
 */
export function orientPoint(x: number, y: number, width: number, height: number, orientation: Orientation): [number, number] {
  switch (orientation) {
    case 1:
      return [x, y]
    case 2:
      return [width - x, y]
    case 3:
      return [width - x, height - y]
    case 4:
      return [x, height - y]
    case 5:
      return [y, x]
    case 6:
      return [height - y, x]
    case 7:
      return [height - y, width - x]
    case 8:
      return [y, width - x]
  }
}

/** Turns flat polygon rings from the stored frame (`width` × `height`) into the oriented frame. */
export function orientRings(rings: readonly (readonly number[])[], width: number, height: number, orientation: number): number[][] {
  const o = normalizeOrientation(orientation)
  return rings.map((ring) => {
    const out = new Array<number>(ring.length)
    for (let i = 0; i + 1 < ring.length; i += 2) {
      const [x, y] = orientPoint(ring[i]!, ring[i + 1]!, width, height, o)
      out[i] = x
      out[i + 1] = y
    }
    return out
  })
}

/** Turns a mask in the stored frame into the oriented frame, pixel by pixel. */
export function orientRuns(runs: RleRuns, orientation: number): RleRuns {
  const o = normalizeOrientation(orientation)
  if (o === 1) return runs
  const [h, w] = runs.size
  const stored = { width: w, height: h }
  const size = orientedSize(stored, o)
  const source = decodeRowMajor(runs)
  const target = new Uint8Array(source.length)
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      if (source[y * w + x] === 0) continue
      const p = storedToOriented(x, y, stored, o)
      target[p.y * size.width + p.x] = 1
    }
  }
  return encodeRowMajor(target, size.height, size.width)
}
