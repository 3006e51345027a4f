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

/**
 * Decodes an opened image at a content size: oriented, alpha flattened onto black, grey and 16-bit
 * converted to 8-bit sRGB by value, bilinear resize (antialiased when shrinking; none at scale 1).
 */
export async function readFramePixels(image: OpenedImage, width: number, height: number): Promise<FramePixels> {
  const { data, info } = await decodeWith(image, (pipeline) => {
    let p = pipeline.flatten({ background: '#000000' }).toColourspace('srgb')
    if (width !== image.width || height !== image.height) p = p.resize(width, height, { fit: 'fill', kernel: 'linear' })
    return p.removeAlpha().raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true })
  })
  if (info.channels !== 3 || info.width !== width || info.height !== height) {
    throw new Error(`decoder returned ${info.width}×${info.height}×${info.channels}, expected ${width}×${height}×3`)
  }
  return { rgb: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), width, height }
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
