/**
 * The pack's two input frames (model-pack.md section 5) as pure steps around sharp: the image in its
 * EXIF-oriented frame (the frame masks are stored in), flattened on black, 8-bit sRGB, resized
 * bilinearly so its longest side fills the frame, normalised per the manifest, placed top-left with
 * zero padding; the vision frame's 4th channel carries a refinement mask resized nearest-neighbour
 * into the same content box. Arithmetic follows numpy's float32 steps, so at scale 1 (the golden
 * scenes) the tensors equal the trainer's bit for bit.
 */
import type { OpenedImage } from '../../images/open-image'
import { decodeWith } from '../../images/open-image'
import { fromString, type RleLike, type RleRuns } from '../../masks/rle'
import type { FramePreprocessing } from '../pack/manifest'
import type { Letterbox } from './frame'

/** Interleaved 8-bit RGB of the image resized to a letterbox's content size. */
export interface FramePixels {
  readonly rgb: Uint8Array
  readonly width: number
  readonly height: number
}

/** A content size to resize to. */
export interface ContentSize {
  readonly width: number
  readonly height: number
}

/**
 * Decodes an opened image once and resizes it to each content size: oriented, alpha flattened onto
 * black, grey and 16-bit converted to 8-bit sRGB by value, then PIL's antialiased bilinear resize
 * (`resampleBilinear`, bit-exact with the trainer's PIL). The resize runs here rather than in sharp because sharp resizes before it
 * orients and its resampling is not mirror-symmetric, so the same oriented pixels stored under
 * another EXIF orientation would reach the model slightly differently. Images more than twice the
 * largest frame are first shrunk by sharp to twice that size, so a 20000×15000 file is never
 * decoded whole.
 */
export async function readFramePixels(image: OpenedImage, sizes: readonly ContentSize[]): Promise<FramePixels[]> {
  const largest = Math.max(...sizes.map((s) => Math.max(s.width, s.height)))
  const longSide = Math.max(image.width, image.height)
  const shrink = longSide > 2 * largest
  const width = shrink ? Math.max(1, Math.round((image.width * 2 * largest) / longSide)) : image.width
  const height = shrink ? Math.max(1, Math.round((image.height * 2 * largest) / longSide)) : image.height
  const { data, info } = await decodeWith(image, (pipeline) => {
    let p = pipeline.flatten({ background: '#000000' }).toColourspace('srgb')
    if (shrink) p = p.resize(width, height, { fit: 'fill', kernel: 'linear' })
    return p.removeAlpha().raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true })
  })
  if (info.channels !== 3 || info.width !== width || info.height !== height) {
    throw new Error(`decoder returned ${info.width}×${info.height}×${info.channels}, expected ${width}×${height}×3`)
  }
  const rgb = new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
  return sizes.map((s) => (s.width === width && s.height === height ? { rgb, width, height } : { rgb: resampleBilinear(rgb, width, height, s.width, s.height), width: s.width, height: s.height }))
}

interface AxisWeights {
  readonly start: Int32Array
  readonly count: Int32Array
  /** Fixed-point weights (PIL's 22 fraction bits), `taps` per output index. */
  readonly weights: Int32Array
  readonly taps: number
}

// PIL's 8-bit resampling works in fixed point with this many fraction bits (Resample.c).
const PRECISION_BITS = 32 - 8 - 2
const HALF = 1 << (PRECISION_BITS - 1)
const ONE = 1 << PRECISION_BITS

// PIL's precompute_coeffs for the bilinear (triangle) filter, with the support widened by the scale
// when shrinking (which makes it antialiased), then normalize_coeffs_8bpc.
function axisWeights(input: number, output: number): AxisWeights {
  const scale = input / output
  const filterScale = Math.max(scale, 1)
  const support = filterScale
  const taps = Math.ceil(support) * 2 + 1
  const start = new Int32Array(output)
  const count = new Int32Array(output)
  const weights = new Int32Array(output * taps)
  const k = new Float64Array(taps)
  const ss = 1 / filterScale
  for (let i = 0; i < output; i++) {
    const center = (i + 0.5) * scale
    const lo = Math.max(Math.trunc(center - support + 0.5), 0)
    const n = Math.min(Math.trunc(center + support + 0.5), input) - lo
    let sum = 0
    for (let x = 0; x < n; x++) {
      const d = Math.abs((x + lo - center + 0.5) * ss)
      const w = d < 1 ? 1 - d : 0
      k[x] = w
      sum += w
    }
    for (let x = 0; x < n; x++) {
      const w = sum !== 0 ? k[x]! / sum : k[x]!
      weights[i * taps + x] = w < 0 ? Math.trunc(-0.5 + w * ONE) : Math.trunc(0.5 + w * ONE)
    }
    start[i] = lo
    count[i] = n
  }
  return { start, count, weights, taps }
}

function clip8(sum: number): number {
  const v = Math.floor(sum / ONE)
  return v < 0 ? 0 : v > 255 ? 255 : v
}

/**
 * Resizes interleaved RGB exactly as PIL's `resize(…, BILINEAR)` does for 8-bit images (the
 * trainer's letterbox): antialiased triangle filter, fixed-point weights, horizontal pass rounded
 * to 8 bits, then the vertical pass.
 */
export function resampleBilinear(rgb: Uint8Array, width: number, height: number, toWidth: number, toHeight: number): Uint8Array {
  if (rgb.length !== width * height * 3) throw new RangeError(`rgb: expected ${width * height * 3} bytes for ${width}×${height}, got ${rgb.length}`)
  let current = rgb
  if (toWidth !== width) {
    const xs = axisWeights(width, toWidth)
    const out = new Uint8Array(height * toWidth * 3)
    for (let y = 0; y < height; y++) {
      const src = y * width * 3
      const dst = y * toWidth * 3
      for (let x = 0; x < toWidth; x++) {
        const lo = xs.start[x]!
        const n = xs.count[x]!
        const wBase = x * xs.taps
        let r = HALF
        let g = HALF
        let b = HALF
        for (let k = 0; k < n; k++) {
          const w = xs.weights[wBase + k]!
          const p = src + (lo + k) * 3
          r += w * current[p]!
          g += w * current[p + 1]!
          b += w * current[p + 2]!
        }
        out[dst + x * 3] = clip8(r)
        out[dst + x * 3 + 1] = clip8(g)
        out[dst + x * 3 + 2] = clip8(b)
      }
    }
    current = out
  }
  if (toHeight !== height) {
    const ys = axisWeights(height, toHeight)
    const line = toWidth * 3
    const out = new Uint8Array(toHeight * line)
    for (let y = 0; y < toHeight; y++) {
      const lo = ys.start[y]!
      const n = ys.count[y]!
      const wBase = y * ys.taps
      const dst = y * line
      for (let i = 0; i < line; i++) {
        let v = HALF
        for (let k = 0; k < n; k++) v += ys.weights[wBase + k]! * current[(lo + k) * line + i]!
        out[dst + i] = clip8(v)
      }
    }
    current = out
  }
  return current === rgb ? rgb.slice() : current
}

/**
 * A frame's NCHW float32 values `[channels, F, F]`: RGB normalised as `(v·rescale − mean) / std`
 * in the content box, zeros elsewhere; with `mask` (content-sized, row-major 0/1) as a 4th channel.
 */
export function frameTensor(pixels: FramePixels, frame: number, pre: FramePreprocessing, mask?: Uint8Array | null, channels: 3 | 4 = 3): Float32Array {
  const { rgb, width, height } = pixels
  if (width > frame || height > frame) throw new RangeError(`pixels: ${width}×${height} does not fit in the ${frame}×${frame} frame`)
  if (rgb.length !== width * height * 3) throw new RangeError(`pixels.rgb: expected ${width * height * 3} bytes, got ${rgb.length}`)
  if (mask !== undefined && mask !== null && mask.length !== width * height) {
    throw new RangeError(`mask: expected ${width * height} values for the ${width}×${height} content box, got ${mask.length}`)
  }
  const plane = frame * frame
  const out = new Float32Array(channels * plane)
  // numpy computes `x / 255.0` then `(x − mean) / std` in float32; a rescale of 1/255 is that division.
  const divisor = pre.rescale !== 1 && Math.abs(1 / pre.rescale - Math.round(1 / pre.rescale)) < 1e-9 ? Math.round(1 / pre.rescale) : 0
  const f = Math.fround
  const lut = new Float32Array(256 * 3)
  for (let c = 0; c < 3; c++) {
    const mean = f(pre.mean[c]!)
    const std = f(pre.std[c]!)
    for (let v = 0; v < 256; v++) {
      const x = pre.rescale === 1 ? v : divisor > 0 ? f(v / divisor) : f(v * pre.rescale)
      lut[c * 256 + v] = f(f(x - mean) / std)
    }
  }
  for (let c = 0; c < 3; c++) {
    const base = c * plane
    const table = c * 256
    for (let y = 0; y < height; y++) {
      let src = y * width * 3 + c
      const row = base + y * frame
      for (let x = 0; x < width; x++, src += 3) out[row + x] = lut[table + rgb[src]!]!
    }
  }
  if (channels === 4 && mask) {
    const base = 3 * plane
    for (let y = 0; y < height; y++) {
      const row = base + y * frame
      for (let x = 0; x < width; x++) if (mask[y * width + x]) out[row + x] = 1
    }
  }
  return out
}

/**
 * A full-resolution mask resized nearest-neighbour into a letterbox's content box (row-major 0/1),
 * as PIL's NEAREST does: content pixel (x, y) reads original pixel (⌊(x + 0.5)·W/w⌋, ⌊(y + 0.5)·H/h⌋).
 * Walks the column-major runs once; never decodes the full mask.
 */
export function maskToContent(rle: RleLike, box: Letterbox): Uint8Array {
  const runs: RleRuns = typeof rle.counts === 'string' ? fromString(rle.counts, rle.size[0], rle.size[1]) : (rle as RleRuns)
  const [h0, w0] = runs.size
  const w = box.contentWidth
  const h = box.contentHeight
  const out = new Uint8Array(w * h)
  const rows = new Float64Array(h)
  for (let y = 0; y < h; y++) rows[y] = Math.min(h0 - 1, Math.floor(((y + 0.5) * h0) / h))
  const counts = runs.counts
  let j = 0
  let runStart = 0
  for (let x = 0; x < w; x++) {
    const sx = Math.min(w0 - 1, Math.floor(((x + 0.5) * w0) / w))
    for (let y = 0; y < h; y++) {
      const pos = sx * h0 + rows[y]!
      // Positions only grow (columns left to right, rows top to bottom), so one pointer suffices.
      if (pos < runStart) {
        j = 0
        runStart = 0
      }
      while (j < counts.length && runStart + counts[j]! <= pos) runStart += counts[j++]!
      if ((j & 1) === 1) out[y * w + x] = 1
    }
  }
  return out
}
