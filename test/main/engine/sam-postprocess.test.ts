import { describe, expect, it } from 'vitest'
import { samAxisTaps, selectMask, thresholdToRle, type AxisTaps } from '../../../src-main/engine/interactive/sam-postprocess'
import { samResizedSize } from '../../../src-main/engine/interactive/sam-preprocess'
import { area, encodeRowMajor, toBbox } from '../../../src-main/masks/rle'

// A deterministic pseudo-random generator, so failures reproduce.
function random(seed: number): () => number {
  let state = seed >>> 0 || 1
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0
    return state / 2 ** 32
  }
}

// Logits with a few smooth blobs: positive inside, negative outside, like a decoder's.
function blobLogits(side: number, seed: number): Float32Array {
  const next = random(seed)
  const blobs = Array.from({ length: 3 }, () => ({ x: next() * side, y: next() * side, r: 10 + next() * side * 0.2 }))
  const out = new Float32Array(side * side)
  for (let y = 0; y < side; y++) {
    for (let x = 0; x < side; x++) {
      let v = -8
      for (const b of blobs) v = Math.max(v, 8 * (1 - Math.hypot(x - b.x, y - b.y) / b.r))
      out[y * side + x] = v + (next() - 0.5) * 2
    }
  }
  return out
}

// Every pixel evaluated through the taps, the slow way, then encoded by the reference codec.
function bruteForce(logits: Float32Array, side: number, rows: AxisTaps, columns: AxisTaps): ReturnType<typeof encodeRowMajor> {
  const h = rows.length
  const w = columns.length
  const mask = new Uint8Array(h * w)
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let v = 0
      for (let a = 0; a < 3; a++) {
        const wy = rows.weights[3 * y + a]!
        if (wy === 0) continue
        for (let b = 0; b < 3; b++) {
          const wx = columns.weights[3 * x + b]!
          if (wx === 0) continue
          v += wy * wx * logits[(rows.start[y]! + a) * side + columns.start[x]! + b]!
        }
      }
      mask[y * w + x] = v > 0 ? 1 : 0
    }
  }
  return encodeRowMajor(mask, h, w)
}

function tapsFor(width: number, height: number, side = 256): { rows: AxisTaps; columns: AxisTaps } {
  const resized = samResizedSize({ width, height })
  return { rows: samAxisTaps(height, resized.height, side), columns: samAxisTaps(width, resized.width, side) }
}

describe('SAM upsampling taps', () => {
  it('give non-negative weights summing to one for every output index', () => {
    for (const [out, resized] of [
      [1, 1],
      [300, 681],
      [4000, 1024],
      [451, 1024]
    ] as const) {
      const taps = samAxisTaps(out, resized)
      for (let i = 0; i < out; i++) {
        const w = [0, 1, 2].map((k) => taps.weights[3 * i + k]!)
        expect(w.every((v) => v >= 0)).toBe(true)
        expect(w[0]! + w[1]! + w[2]!).toBeCloseTo(1, 12)
        expect(taps.start[i]! + (w[2]! > 0 ? 2 : w[1]! > 0 ? 1 : 0)).toBeLessThan(256)
      }
    }
  })

  it('reduce to one bilinear resize 256 → 1024 when nothing is cropped or resized after', () => {
    const taps = samAxisTaps(1024, 1024)
    // Output 5 sits at low-res coordinate (5.5 / 4) - 0.5 = 0.875: weights 0.125 on 0, 0.875 on 1.
    expect(taps.start[5]).toBe(0)
    expect([taps.weights[15], taps.weights[16], taps.weights[17]]).toEqual([0.125, 0.875, 0])
    // The first output clamps to the first low-res sample, as ONNX Resize (half_pixel) does.
    expect([taps.start[0], taps.weights[0]]).toEqual([0, 1])
  })

  it('BAD CALL – sizes are checked', () => {
    expect(() => samAxisTaps(0, 10)).toThrow(new RangeError('output: expected a positive integer, got 0'))
    expect(() => samAxisTaps(10, 2000)).toThrow(new RangeError('resized: 2000 exceeds the input size 1024'))
  })
})

describe('thresholding low-res logits into RLE', () => {
  it('gives exactly the runs of the pixel-by-pixel threshold, at many sizes', () => {
    for (const [w, h, seed] of [
      [640, 480, 1],
      [451, 300, 2],
      [37, 23, 3],
      [1, 1, 4],
      [1500, 7, 5],
      [9, 1300, 6]
    ] as const) {
      const logits = blobLogits(256, seed)
      const { rows, columns } = tapsFor(w, h)
      const fast = thresholdToRle(logits, 256, rows, columns)
      const slow = bruteForce(logits, 256, rows, columns)
      expect(fast.size).toEqual([h, w])
      expect(Array.from(fast.counts)).toEqual(Array.from(slow.counts))
    }
  })

  it('gives one run of zeros for an all-negative map and one run of ones for an all-positive map', () => {
    const { rows, columns } = tapsFor(40, 30)
    expect(Array.from(thresholdToRle(new Float32Array(256 * 256).fill(-1), 256, rows, columns).counts)).toEqual([1200])
    expect(Array.from(thresholdToRle(new Float32Array(256 * 256).fill(1), 256, rows, columns).counts)).toEqual([0, 1200])
  })

  it('thresholds a 20000×15000 mask without a full-size buffer, in time that follows the width, not the area', () => {
    const logits = new Float32Array(256 * 256).fill(-5)
    // A square covering low-res cells 64..191 in both axes: a quarter of the (square-padded) frame.
    for (let y = 64; y < 192; y++) logits.fill(5, y * 256 + 64, y * 256 + 192)
    const { rows, columns } = tapsFor(20000, 15000)
    const before = process.memoryUsage().arrayBuffers
    const started = performance.now()
    const runs = thresholdToRle(logits, 256, rows, columns)
    const ms = performance.now() - started
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(8 * 2 ** 20)
    expect(ms).toBeLessThan(3000)
    // Low-res cells 64..191 map to image pixels ≈ 5000..15000 on both axes (20000 / 256 × 64 = 5000).
    const [x, y, bw, bh] = toBbox(runs)
    expect(Math.abs(x - 5000)).toBeLessThan(60)
    expect(Math.abs(y - 5000)).toBeLessThan(60)
    expect(Math.abs(bw - 10000)).toBeLessThan(120)
    expect(Math.abs(bh - 10000)).toBeLessThan(120)
    expect(area(runs) / (bw * bh)).toBeGreaterThan(0.999)
  })

  it('BAD CALL – a logit map of the wrong size', () => {
    const { rows, columns } = tapsFor(4, 4)
    expect(() => thresholdToRle(new Float32Array(10), 256, rows, columns)).toThrow(new RangeError('logits: expected 65536 values, got 10'))
  })
})

describe('mask selection', () => {
  it('keeps the only mask of a single-mask graph', () => {
    expect(selectMask([0.3], 2)).toBe(0)
  })

  it("takes the best multimask output for a click or a box alone, SAM's single-mask token otherwise", () => {
    expect(selectMask([0.99, 0.5, 0.9, 0.7], 2)).toBe(2)
    expect(selectMask([0.5, 0.6, 0.9, 0.7], 3)).toBe(0)
    expect(selectMask([0.6, 0.9, 0.7], 5)).toBe(1)
  })
})
