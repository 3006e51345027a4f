import { describe, it, expect } from 'vitest'
import {
  area,
  decode,
  decodeRegion,
  decodeRowMajor,
  encode,
  encodeRowMajor,
  frPoly,
  fromString,
  iou,
  merge,
  toBbox,
  toString
} from '../src-main/masks/rle'

// COCO RLE codec throughput on 1000x1500 masks (height 1000, width 1500). MB/s counts the dense
// mask at one byte per pixel (1.5 MB), so every operation is on the same scale.
const H = 1000
const W = 1500
const MASK_MB = (H * W) / 1e6

// mulberry32, so the shapes are the same on every run.
function prng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

function disc(m: Uint8Array, cx: number, cy: number, rx: number, ry: number): void {
  for (let y = Math.max(0, Math.floor(cy - ry)); y <= Math.min(H - 1, Math.ceil(cy + ry)); y++) {
    for (let x = Math.max(0, Math.floor(cx - rx)); x <= Math.min(W - 1, Math.ceil(cx + rx)); x++) {
      if (((x - cx) / rx) ** 2 + ((y - cy) / ry) ** 2 <= 1) m[y * W + x] = 1
    }
  }
}

// Row-major masks: one large object, a crowd of small ones, and speckle (the worst case for RLE).
function shapes(): { name: string; mask: Uint8Array }[] {
  const blob = new Uint8Array(H * W)
  disc(blob, 700, 480, 520, 360)
  disc(blob, 1150, 300, 220, 200)
  const many = new Uint8Array(H * W)
  const rand = prng(7)
  for (let i = 0; i < 400; i++) disc(many, rand() * W, rand() * H, 3 + rand() * 15, 3 + rand() * 15)
  const noise = new Uint8Array(H * W)
  const r2 = prng(11)
  for (let i = 0; i < noise.length; i++) noise[i] = r2() < 0.3 ? 1 : 0
  return [
    { name: 'blob', mask: blob },
    { name: 'many small objects', mask: many },
    { name: 'noise 30%', mask: noise }
  ]
}

function transpose(src: Uint8Array, rows: number, cols: number): Uint8Array {
  const out = new Uint8Array(src.length)
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = src[r * cols + c]!
  return out
}

// Milliseconds per call: the fastest of several ~60 ms batches after a warm-up. Other processes
// on a shared machine only ever add time, so the minimum is the figure that repeats.
function measure(fn: () => unknown): number {
  for (let i = 0; i < 3; i++) fn()
  let best = Infinity
  for (let batch = 0; batch < 7; batch++) {
    let n = 0
    const start = performance.now()
    let elapsed = 0
    while (elapsed < 60 || n < 3) {
      fn()
      n++
      elapsed = performance.now() - start
    }
    best = Math.min(best, elapsed / n)
  }
  return best
}

function report(shape: string, op: string, ms: number, mbPerOp = MASK_MB): void {
  const rate = mbPerOp / (ms / 1000)
  console.log(`${shape.padEnd(20)} ${op.padEnd(34)} ${ms.toFixed(3).padStart(9)} ms/op ${rate.toFixed(0).padStart(7)} MB/s`)
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.compare(a, b) === 0
}

describe('COCO RLE codec on 1000x1500 masks', () => {
  it('prints ms per op and MB/s for each operation and shape', () => {
    console.log(`\nCOCO RLE codec, ${H}x${W} masks (MB/s of the dense 1-byte-per-pixel mask, ${MASK_MB} MB)`)
    for (const { name, mask } of shapes()) {
      const colMajor = transpose(mask, H, W)
      const runs = encodeRowMajor(mask, H, W)
      const s = toString(runs)
      console.log(`-- ${name}: ${runs.counts.length} runs, area ${area(runs)}, string ${s.length} chars`)

      // Round trips must hold before the figures mean anything.
      expect(encode(colMajor, H, W)).toEqual(runs)
      expect(sameBytes(decode(runs), colMajor)).toBe(true)
      expect(sameBytes(decodeRowMajor(runs), mask)).toBe(true)
      expect(fromString(s, H, W)).toEqual(runs)
      const [bx, by, bw, bh] = toBbox(runs)
      const crop = decodeRegion(runs, { x: bx, y: by, width: bw, height: bh })
      expect(crop.reduce((sum, v) => sum + v, 0)).toBe(area(runs))

      report(name, 'encodeRowMajor (row-major mask)', measure(() => encodeRowMajor(mask, H, W)))
      report(name, 'encode (column-major mask)', measure(() => encode(colMajor, H, W)))
      report(name, 'decodeRowMajor', measure(() => decodeRowMajor(runs)))
      report(name, 'decode (column-major)', measure(() => decode(runs)))
      const region = { x: 600, y: 400, width: 256, height: 256 }
      report(name, 'decodeRegion 256x256 crop', measure(() => decodeRegion(runs, region)), (256 * 256) / 1e6)
      report(name, 'toString', measure(() => toString(runs)))
      report(name, 'fromString', measure(() => fromString(s, H, W)))
      report(name, 'area', measure(() => area(runs)))
      report(name, 'toBbox', measure(() => toBbox(runs)))
      const rle = { size: [H, W] as const, counts: s }
      report(name, 'area + toBbox from the string', measure(() => [area(rle), toBbox(rle)]))
      // The same shape moved 7 rows down and 5 columns right: a realistic detection against its truth.
      const moved = new Uint8Array(H * W)
      for (let y = 7; y < H; y++) moved.set(mask.subarray((y - 7) * W, (y - 6) * W - 5), y * W + 5)
      const other = encodeRowMajor(moved, H, W)
      report(name, 'iou 1x1 (vs the shape moved)', measure(() => iou([runs], [other], [false])))
      report(name, 'merge of two (union)', measure(() => merge([runs, other])))
    }

    // Polygons: an ellipse with 100 vertices and a wiggly outline with 2000, both across most of the mask.
    const ellipse: number[] = []
    for (let i = 0; i < 100; i++) {
      const a = (2 * Math.PI * i) / 100
      ellipse.push(750 + 600 * Math.cos(a), 500 + 400 * Math.sin(a))
    }
    const wiggly: number[] = []
    const rand = prng(3)
    for (let i = 0; i < 2000; i++) {
      const a = (2 * Math.PI * i) / 2000
      const r = 1 + 0.08 * Math.sin(a * 37) + 0.02 * (rand() - 0.5)
      wiggly.push(750 + 650 * r * Math.cos(a), 500 + 450 * r * Math.sin(a))
    }
    for (const [name, xy] of [
      ['ellipse, 100 vertices', ellipse],
      ['wiggly, 2000 vertices', wiggly]
    ] as const) {
      const poly = frPoly(xy, H, W)
      expect(area(poly)).toBeGreaterThan(0)
      report('polygon', `frPoly ${name}`, measure(() => frPoly(xy, H, W)))
    }
  })
})
