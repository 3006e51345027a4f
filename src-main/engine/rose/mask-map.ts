/**
 * Mask logits on the SAM grid → masks of the original image (model-pack.md sections 7.1 step 4 and 8).
 *
 * NMS runs on the low-resolution grid inside the image's content area, as the trainer does. A kept
 * mask is mapped to original pixels by one bilinear sample per pixel at
 * u = (x + 0.5)·s·r/Ls − 0.5 (clamped to the grid) — separable, so each output row and column reads
 * two grid cells with fixed weights. Those taps feed `thresholdToRle`, which writes the thresholded
 * mask straight into COCO runs and only visits the columns and row groups the mask's positive
 * logits can reach: work is bounded by the mask's box, and nothing image-sized is allocated, so a
 * 20000×15000 image costs what its masks' boxes cost.
 */
import { thresholdToRle, type AxisTaps } from '../interactive/sam-postprocess'
import type { RleRuns } from '../../masks/rle'

/**
 * The taps of section 8 along one axis: for output index i, the grid cells floor(u) and
 * floor(u) + 1 with weights 1 − f and f, where u = (i + 0.5)·s·r/Ls − 0.5 clamped to [0, r − 1].
 * Written exactly as the trainer's `logits_to_image_mask` computes it, so thresholds agree bit for bit.
 */
export function roseAxisTaps(output: number, scale: number, lowRes: number, frame: number): AxisTaps {
  if (!Number.isInteger(output) || output < 1) throw new RangeError(`output: expected a positive integer, got ${output}`)
  const k = (scale * lowRes) / frame
  const start = new Int32Array(output)
  const weights = new Float64Array(output * 3)
  for (let i = 0; i < output; i++) {
    const u = Math.min(Math.max((i + 0.5) * k - 0.5, 0), lowRes - 1)
    const u0 = Math.floor(u)
    const fu = u - u0
    // At the last cell u1 = u0 and fu = 0; the shared weight table holds three taps per index.
    start[i] = u0
    weights[3 * i] = 1 - fu
    if (u0 + 1 <= lowRes - 1) weights[3 * i + 1] = fu
  }
  return { length: output, start, weights }
}

/** The taps of both axes of an image, shared by every mask of that image. */
export interface ImageTaps {
  readonly rows: AxisTaps
  readonly columns: AxisTaps
}

/** Taps for mapping `lowRes`-grid logits over a frame of side `frame` to a width × height image. */
export function imageTaps(width: number, height: number, lowRes: number, frame: number): ImageTaps {
  const scale = frame / Math.max(width, height)
  return { rows: roseAxisTaps(height, scale, lowRes, frame), columns: roseAxisTaps(width, scale, lowRes, frame) }
}

/** One mask's logits (row-major `lowRes`²) → COCO runs at the original size, pixels > threshold. */
export function logitsToRuns(logits: ArrayLike<number>, lowRes: number, taps: ImageTaps, threshold: number): RleRuns {
  return thresholdToRle(logits, lowRes, taps.rows, taps.columns, threshold)
}

/** How NMS decides (the manifest's `inference` values). */
export interface NmsOptions {
  readonly maskThreshold: number
  readonly minMaskArea: number
  readonly nmsIou: number
  /** Drop a mask whose intersection with a kept one, over its own area, exceeds this (> 1: off). */
  readonly nmsContainment: number
}

/**
 * Greedy mask NMS on the low-resolution grid, masks taken in the given (score) order: each mask is
 * binarised at the threshold inside the content area (rows < contentRows, columns < contentColumns);
 * one with fewer than `minMaskArea` cells, or whose IoU with an already kept mask exceeds `nmsIou`, or
 * which lies inside a kept mask by more than `nmsContainment` of its own area, is dropped. `masks` holds `count` planes of lowRes² logits back to back (plane stride `stride`).
 * Returns the indices kept.
 */
export function nmsOnGrid(
  masks: Float32Array,
  count: number,
  lowRes: number,
  stride: number,
  contentRows: number,
  contentColumns: number,
  options: NmsOptions
): number[] {
  const cells = contentRows * contentColumns
  const words = Math.ceil(cells / 32)
  const bits: Uint32Array[] = []
  const areas: number[] = []
  const keep: number[] = []
  for (let j = 0; j < count; j++) {
    const plane = masks.subarray(j * stride, j * stride + lowRes * lowRes)
    const b = new Uint32Array(words)
    let area = 0
    for (let y = 0; y < contentRows; y++) {
      const row = y * lowRes
      for (let x = 0; x < contentColumns; x++) {
        if (plane[row + x]! > options.maskThreshold) {
          const cell = y * contentColumns + x
          b[cell >>> 5]! |= 1 << (cell & 31)
          area++
        }
      }
    }
    bits.push(b)
    areas.push(area)
    if (area < options.minMaskArea) continue
    let ok = true
    for (const k of keep) {
      const other = bits[k]!
      let inter = 0
      for (let w = 0; w < words; w++) inter += popcount(b[w]! & other[w]!)
      const union = area + areas[k]! - inter
      // A fragment lying mostly inside a better-scored mask is a duplicate even at low IoU.
      if ((union > 0 && inter / union > options.nmsIou) || inter / area > options.nmsContainment) {
        ok = false
        break
      }
    }
    if (ok) keep.push(j)
  }
  return keep
}

function popcount(x: number): number {
  x -= (x >>> 1) & 0x55555555
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333)
  return (((x + (x >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24
}

/** The logit a removed fragment's cells are pushed down to (model-pack.md 8.1). */
export const FRAGMENT_FLOOR = -20

/**
 * Fragment removal on one r×r plane of decoded mask logits, in place (model-pack.md 8.1): binarise at
 * `threshold`, label 4-connected components, and push every cell of a component smaller than
 * `minFraction` × the largest one down to min(logit, −20). `minFraction` ≤ 0 switches it off.
 * Patches next to an object decode its mask plus stray blobs; a blob inflates the box the category
 * adapter crops and lowers IoU.
 */
export function removeFragments(plane: Float32Array, r: number, threshold: number, minFraction: number): void {
  if (minFraction <= 0) return
  const cells = r * r
  const label = new Int32Array(cells).fill(-1)
  const areas: number[] = []
  const stack = new Int32Array(cells)
  for (let start = 0; start < cells; start++) {
    if (label[start] !== -1 || !(plane[start]! > threshold)) continue
    // Flood fill with an explicit stack: a 256×256 component would overflow recursion.
    const id = areas.length
    let top = 0
    let area = 0
    stack[top++] = start
    label[start] = id
    while (top > 0) {
      const cell = stack[--top]!
      area++
      const y = (cell / r) | 0
      const x = cell - y * r
      if (x > 0) top = visit(cell - 1, id, top)
      if (x < r - 1) top = visit(cell + 1, id, top)
      if (y > 0) top = visit(cell - r, id, top)
      if (y < r - 1) top = visit(cell + r, id, top)
    }
    areas.push(area)
  }
  function visit(cell: number, id: number, top: number): number {
    if (label[cell] === -1 && plane[cell]! > threshold) {
      label[cell] = id
      stack[top++] = cell
    }
    return top
  }
  if (areas.length < 2) return
  const limit = minFraction * Math.max(...areas)
  for (let cell = 0; cell < cells; cell++) {
    const id = label[cell]!
    if (id >= 0 && areas[id]! < limit) plane[cell] = Math.min(plane[cell]!, FRAGMENT_FLOOR)
  }
}
