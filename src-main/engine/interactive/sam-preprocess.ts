/**
 * SAM's preprocessing, as pure functions (segment_anything/utils/transforms.py and
 * modeling/sam.py): the longest side resized to 1024, ImageNet mean/std on 0–255 values, zero
 * padding right and bottom (after normalisation, so the padding is the mean colour), prompt
 * coordinates scaled into that frame. Every SAM-convention ONNX pair expects exactly this.
 */
import type { OpenedImage } from '../../images/open-image'
import { decodeWith } from '../../images/open-image'

/** The encoder's input side. */
export const SAM_INPUT_SIZE = 1024
/** The side of the decoder's low-resolution mask logits. */
export const SAM_LOW_RES_SIZE = 256
/** SAM's pixel mean (RGB, 0–255). */
export const SAM_PIXEL_MEAN: readonly [number, number, number] = [123.675, 116.28, 103.53]
/** SAM's pixel standard deviation (RGB, 0–255). */
export const SAM_PIXEL_STD: readonly [number, number, number] = [58.395, 57.12, 57.375]

/** A width and height in pixels. */
export interface Size {
  readonly width: number
  readonly height: number
}

/** A point prompt in the oriented frame; `positive` false marks background. */
export interface PromptPoint {
  readonly x: number
  readonly y: number
  readonly positive: boolean
}

/**
 * A prompt in pixels of the oriented frame: a box `[x, y, width, height]` (COCO's bbox order),
 * points, or both. Coordinates are continuous: the box `[0, 0, W, H]` covers the whole image.
 */
export interface SegmentPrompt {
  readonly box?: readonly [number, number, number, number]
  readonly points?: readonly PromptPoint[]
}

/** The size the image is resized to before padding (ResizeLongestSide.get_preprocess_shape). */
export function samResizedSize(original: Size, target = SAM_INPUT_SIZE): Size {
  checkSize(original, 'original')
  const scale = target / Math.max(original.width, original.height)
  // Python's int(x + 0.5), as SAM rounds; at least one pixel, which SAM's own code would not survive.
  return {
    width: Math.max(1, Math.floor(original.width * scale + 0.5)),
    height: Math.max(1, Math.floor(original.height * scale + 0.5))
  }
}

/**
 * Normalises interleaved 8-bit RGB of the resized image into the encoder's planar
 * `[1, 3, target, target]` input, zero (the mean) in the padding.
 */
export function samImageTensor(rgb: Uint8Array, resized: Size, target = SAM_INPUT_SIZE): Float32Array {
  checkSize(resized, 'resized')
  if (resized.width > target || resized.height > target) {
    throw new RangeError(`resized: ${resized.width}×${resized.height} does not fit in ${target}×${target}`)
  }
  if (rgb.length !== resized.width * resized.height * 3) {
    throw new RangeError(`rgb: expected ${resized.width * resized.height * 3} bytes for ${resized.width}×${resized.height} RGB, got ${rgb.length}`)
  }
  const plane = target * target
  const out = new Float32Array(3 * plane)
  for (let c = 0; c < 3; c++) {
    const mean = SAM_PIXEL_MEAN[c]!
    const inv = 1 / SAM_PIXEL_STD[c]!
    const base = c * plane
    for (let y = 0; y < resized.height; y++) {
      let src = y * resized.width * 3 + c
      const row = base + y * target
      for (let x = 0; x < resized.width; x++, src += 3) out[row + x] = (rgb[src]! - mean) * inv
    }
  }
  return out
}

/**
 * Decodes an opened image in its oriented frame, flattened onto black, as 8-bit sRGB at SAM's
 * resized size. Grayscale, 16-bit and alpha images all come out as 3 × 8 bits.
 */
export async function readSamPixels(image: OpenedImage, target = SAM_INPUT_SIZE): Promise<{ rgb: Uint8Array; resized: Size }> {
  const resized = samResizedSize(image, target)
  const { data, info } = await decodeWith(image, (pipeline) =>
    pipeline
      .flatten({ background: '#000000' })
      // 'srgb' converts 16-bit and grey images to 8-bit RGB by value, not by truncating bits.
      .toColourspace('srgb')
      .resize(resized.width, resized.height, { fit: 'fill', kernel: 'cubic' })
      .removeAlpha()
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true })
  )
  if (info.channels !== 3 || info.width !== resized.width || info.height !== resized.height) {
    throw new Error(`decoder returned ${info.width}×${info.height}×${info.channels}, expected ${resized.width}×${resized.height}×3`)
  }
  return { rgb: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), resized }
}

/** The decoder's prompt inputs: `point_coords` `[1, n, 2]` and `point_labels` `[1, n]`. */
export interface SamPromptArrays {
  readonly coords: Float32Array
  readonly labels: Float32Array
  readonly count: number
}

/** SAM's point labels: 1 foreground, 0 background, 2/3 box corners, −1 padding. */
export const SAM_LABEL = { background: 0, foreground: 1, boxTopLeft: 2, boxBottomRight: 3, padding: -1 } as const

/**
 * Turns a prompt into the decoder's point inputs (SamOnnxModel's convention): points first, then
 * the box as two corner points labelled 2 and 3; with no box, a padding point (0, 0) labelled −1.
 * Coordinates are scaled per axis by resized / original, as ResizeLongestSide.apply_coords does
 * (1024 / longest side on the long axis).
 */
export function samPromptArrays(prompt: SegmentPrompt, original: Size, resized: Size): SamPromptArrays {
  checkPrompt(prompt, original)
  const points = prompt.points ?? []
  const count = points.length + (prompt.box !== undefined ? 2 : 1)
  const coords = new Float32Array(count * 2)
  const labels = new Float32Array(count)
  const sx = resized.width / original.width
  const sy = resized.height / original.height
  points.forEach((point, i) => {
    coords[2 * i] = point.x * sx
    coords[2 * i + 1] = point.y * sy
    labels[i] = point.positive ? SAM_LABEL.foreground : SAM_LABEL.background
  })
  const k = points.length
  if (prompt.box !== undefined) {
    const [x, y, w, h] = clampBox(prompt.box, original)
    coords.set([x * sx, y * sy, (x + w) * sx, (y + h) * sy], 2 * k)
    labels[k] = SAM_LABEL.boxTopLeft
    labels[k + 1] = SAM_LABEL.boxBottomRight
  } else {
    labels[k] = SAM_LABEL.padding
  }
  return { coords, labels, count }
}

/**
 * Checks a prompt at the boundary: a box of four finite numbers with positive width and height
 * overlapping the image; points of finite coordinates with a boolean `positive`; at least one of
 * them; at least one positive point when there is no box. Throws TypeError/RangeError naming the field.
 */
export function checkPrompt(prompt: unknown, image: Size): asserts prompt is SegmentPrompt {
  if (typeof prompt !== 'object' || prompt === null) throw new TypeError(`prompt: expected an object with a box and/or points, got ${prompt === null ? 'null' : typeof prompt}`)
  const { box, points } = prompt as { box?: unknown; points?: unknown }
  if (box === undefined && points === undefined) throw new RangeError('prompt: needs a box, points, or both')
  if (box !== undefined) {
    if (!Array.isArray(box) || box.length !== 4 || !box.every((v) => typeof v === 'number' && Number.isFinite(v))) {
      throw new TypeError('prompt.box: expected [x, y, width, height] of finite numbers')
    }
    const [x, y, w, h] = box as number[]
    if (w! <= 0 || h! <= 0) throw new RangeError(`prompt.box: width and height must be positive, got ${w}×${h}`)
    if (x! >= image.width || y! >= image.height || x! + w! <= 0 || y! + h! <= 0) {
      throw new RangeError(`prompt.box: [${box.join(', ')}] lies outside the ${image.width}×${image.height} image`)
    }
  }
  if (points !== undefined) {
    if (!Array.isArray(points)) throw new TypeError('prompt.points: expected an array of {x, y, positive}')
    points.forEach((point: unknown, i) => {
      const p = point as { x?: unknown; y?: unknown; positive?: unknown } | null
      if (typeof p !== 'object' || p === null || typeof p.x !== 'number' || typeof p.y !== 'number' || !Number.isFinite(p.x) || !Number.isFinite(p.y)) {
        throw new TypeError(`prompt.points[${i}]: expected {x, y} of finite numbers`)
      }
      if (typeof p.positive !== 'boolean') throw new TypeError(`prompt.points[${i}].positive: expected a boolean`)
    })
    if (box === undefined && !points.some((p: { positive: boolean }) => p.positive)) {
      throw new RangeError('prompt.points: needs at least one positive point when there is no box')
    }
  }
}

// A box is clipped to the image: the UI lets a drag run past the edge.
function clampBox(box: readonly [number, number, number, number], image: Size): [number, number, number, number] {
  const x0 = Math.max(0, box[0])
  const y0 = Math.max(0, box[1])
  const x1 = Math.min(image.width, box[0] + box[2])
  const y1 = Math.min(image.height, box[1] + box[3])
  return [x0, y0, x1 - x0, y1 - y0]
}

function checkSize(size: Size, name: string): void {
  if (!Number.isInteger(size.width) || !Number.isInteger(size.height) || size.width < 1 || size.height < 1) {
    throw new RangeError(`${name}: expected a positive integer width and height, got ${size.width}×${size.height}`)
  }
}
