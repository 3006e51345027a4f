/**
 * SAM's postprocessing without a full-resolution buffer. SamOnnxModel upsamples the 256×256 logits
 * bilinearly to 1024×1024, crops the unpadded part and upsamples again to the original size; for a
 * 20000×15000 photograph that is 1.2 GB of float32 per mask. Both resizes are separable and linear,
 * so each output pixel is a weighted sum of at most 3×3 low-resolution logits: the weights per row
 * and per column are tabulated once (`samAxisTaps`), and the thresholded mask is produced column by
 * column straight into COCO run lengths (`thresholdToRle`). Runs of rows whose logits all lie on
 * one side of the threshold are emitted whole, so the work grows with the image's width times 256
 * plus the mask's boundary, never with its area, and nothing the size of the image is allocated.
 */
import { compress, type Rle, type RleRuns } from '../../masks/rle'
import { SAM_INPUT_SIZE, SAM_LOW_RES_SIZE } from './sam-preprocess'

/** SAM's mask threshold on logits. */
export const SAM_MASK_THRESHOLD = 0

/**
 * For each output index along one axis: the first of three consecutive low-resolution indices it
 * reads and their weights (`weights[3i..3i+2]`, zero where an index is not used).
 */
export interface AxisTaps {
  readonly length: number
  readonly start: Int32Array
  readonly weights: Float64Array
}

/**
 * The taps of SAM's two bilinear resizes (align_corners=False, as ONNX Resize half_pixel with
 * clamping at the edges) along one axis: low-res → `input` (1024), crop to `resized`, → `output`.
 */
export function samAxisTaps(output: number, resized: number, lowRes = SAM_LOW_RES_SIZE, input = SAM_INPUT_SIZE): AxisTaps {
  for (const [name, value] of [['output', output], ['resized', resized], ['lowRes', lowRes], ['input', input]] as const) {
    if (!Number.isInteger(value) || value < 1) throw new RangeError(`${name}: expected a positive integer, got ${value}`)
  }
  if (resized > input) throw new RangeError(`resized: ${resized} exceeds the input size ${input}`)
  const start = new Int32Array(output)
  const weights = new Float64Array(output * 3)
  const toInput = resized / output
  const toLow = lowRes / input
  for (let i = 0; i < output; i++) {
    const c = Math.max(0, (i + 0.5) * toInput - 0.5)
    const c0 = Math.min(Math.floor(c), resized - 1)
    const c1 = Math.min(c0 + 1, resized - 1)
    const m1 = c - c0
    const lo = lowIndex(c0, toLow, lowRes)[0]
    start[i] = lo
    for (const [k, m] of [
      [c0, 1 - m1],
      [c1, m1]
    ] as const) {
      if (m === 0) continue
      const [s0, s1, l1] = lowIndex(k, toLow, lowRes)
      weights[3 * i + s0 - lo] = weights[3 * i + s0 - lo]! + m * (1 - l1)
      weights[3 * i + s1 - lo] = weights[3 * i + s1 - lo]! + m * l1
    }
  }
  return { length: output, start, weights }
}

// Where index k of the 1024 grid reads the low-res grid: two indices and the second one's weight.
function lowIndex(k: number, toLow: number, lowRes: number): [number, number, number] {
  const s = Math.max(0, (k + 0.5) * toLow - 0.5)
  const s0 = Math.min(Math.floor(s), lowRes - 1)
  return [s0, Math.min(s0 + 1, lowRes - 1), s - s0]
}

/**
 * Thresholds one low-resolution logit map (`lowRes`×`lowRes`, row-major) upsampled through the
 * taps, straight into COCO runs of the `rows.length`×`columns.length` mask. Pixels are foreground
 * where the interpolated logit is above `threshold`, exactly as SAM's `masks > 0`.
 */
export function thresholdToRle(
  logits: ArrayLike<number>,
  lowRes: number,
  rows: AxisTaps,
  columns: AxisTaps,
  threshold = SAM_MASK_THRESHOLD
): RleRuns {
  if (logits.length !== lowRes * lowRes) throw new RangeError(`logits: expected ${lowRes * lowRes} values, got ${logits.length}`)
  const h = rows.length
  const w = columns.length
  const out = new RunBuilder()
  const total = h * w
  if (total > 0xffffffff) throw new RangeError(`rows, columns: a ${w}×${h} mask exceeds COCO's 2^32 - 1 pixels`)

  // Positive logits bound where the mask can be: with non-negative weights summing to one, a pixel
  // can only pass the threshold if one of its taps does.
  let rMin = lowRes
  let rMax = -1
  let cMin = lowRes
  let cMax = -1
  for (let j = 0; j < lowRes; j++) {
    const row = j * lowRes
    for (let i = 0; i < lowRes; i++) {
      if (logits[row + i]! > threshold) {
        if (j < rMin) rMin = j
        if (j > rMax) rMax = j
        if (i < cMin) cMin = i
        if (i > cMax) cMax = i
      }
    }
  }
  if (rMax < 0) return { size: [h, w], counts: Uint32Array.of(total) }

  const [xFirst, xLast] = touching(columns, cMin, cMax)
  const [yFirst, yLast] = touching(rows, rMin, rMax)
  const jLo = Math.max(0, rMin - 2)
  const jHi = Math.min(lowRes - 1, rMax + 2)
  // Rows that read the same three low-res rows form a group; most groups are decided without
  // looking at single rows.
  const groups = rowGroups(rows, yFirst, yLast)
  const column = new Float64Array(lowRes)
  const cs = columns.start
  const cw = columns.weights
  const rw = rows.weights

  for (let x = xFirst; x <= xLast; x++) {
    const lo = cs[x]!
    const w0 = cw[3 * x]!
    const w1 = cw[3 * x + 1]!
    const w2 = cw[3 * x + 2]!
    for (let j = jLo; j <= jHi; j++) {
      const base = j * lowRes + lo
      let v = w0 * logits[base]!
      if (w1 !== 0) v += w1 * logits[base + 1]!
      if (w2 !== 0) v += w2 * logits[base + 2]!
      column[j] = v
    }
    const offset = x * h
    for (let g = 0; g < groups.length; g += 3) {
      const y0 = groups[g]!
      const y1 = groups[g + 1]!
      const j = groups[g + 2]!
      const a = column[j]!
      const b = j + 1 <= jHi ? column[j + 1]! : a
      const c = j + 2 <= jHi ? column[j + 2]! : b
      const min = Math.min(a, b, c)
      const max = Math.max(a, b, c)
      if (min > threshold) {
        out.ones(offset + y0, offset + y1)
      } else if (max > threshold) {
        for (let y = y0; y < y1; y++) {
          let v = rw[3 * y]! * a
          if (rw[3 * y + 1] !== 0) v += rw[3 * y + 1]! * b
          if (rw[3 * y + 2] !== 0) v += rw[3 * y + 2]! * c
          if (v > threshold) out.ones(offset + y, offset + y + 1)
        }
      }
    }
  }
  return { size: [h, w], counts: out.finish(total) }
}

// The output indices whose taps reach low-res indices [lo, hi] (taps are monotone in the index).
function touching(taps: AxisTaps, lo: number, hi: number): [number, number] {
  let first = 0
  while (first < taps.length - 1 && taps.start[first]! + 2 < lo) first++
  let last = taps.length - 1
  while (last > 0 && taps.start[last]! > hi) last--
  return [first, last]
}

// [yStart, yEnd, lowRow] triples for consecutive rows with the same first tap.
function rowGroups(rows: AxisTaps, first: number, last: number): Int32Array {
  const out: number[] = []
  let y = first
  while (y <= last) {
    const j = rows.start[y]!
    let end = y + 1
    while (end <= last && rows.start[end] === j) end++
    out.push(y, end, j)
    y = end
  }
  return Int32Array.from(out)
}

// Appends COCO runs (zeros first) from foreground intervals given in increasing order.
class RunBuilder {
  private counts = new Uint32Array(256)
  private n = 0
  private emitted = 0
  private pendingStart = -1
  private pendingEnd = -1

  ones(from: number, to: number): void {
    if (this.pendingStart >= 0 && from === this.pendingEnd) {
      this.pendingEnd = to
      return
    }
    this.flush()
    this.pendingStart = from
    this.pendingEnd = to
  }

  finish(total: number): Uint32Array {
    this.flush()
    if (this.emitted < total || this.n === 0) this.push(total - this.emitted)
    return this.counts.slice(0, this.n)
  }

  private flush(): void {
    if (this.pendingStart < 0) return
    this.push(this.pendingStart - this.emitted)
    this.push(this.pendingEnd - this.pendingStart)
    this.emitted = this.pendingEnd
    this.pendingStart = -1
  }

  private push(run: number): void {
    if (this.n === this.counts.length) {
      const bigger = new Uint32Array(this.counts.length * 2)
      bigger.set(this.counts)
      this.counts = bigger
    }
    this.counts[this.n++] = run
  }
}

/**
 * Which of a decoder's masks to keep, as SamOnnxModel.select_masks does: a graph with one output
 * has already chosen; with SAM's four (the single-mask token, then three multimask tokens), a
 * prompt of at most two decoder points (one click and the padding point, or a box alone) takes the
 * best-scoring multimask output, a longer prompt the single-mask token.
 */
export function selectMask(scores: ArrayLike<number>, decoderPoints: number): number {
  const count = scores.length
  if (count <= 1) return 0
  if (count === 4 && decoderPoints > 2) return 0
  const from = count === 4 ? 1 : 0
  let best = from
  for (let i = from + 1; i < count; i++) if (scores[i]! > scores[best]!) best = i
  return best
}

/** The mask as COCO compressed RLE. */
export function toCocoRle(runs: RleRuns): Rle {
  return compress(runs)
}
