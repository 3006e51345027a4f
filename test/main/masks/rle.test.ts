import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { describe, it, expect } from 'vitest'
import {
  area,
  compress,
  decode,
  decodeRegion,
  decodeRowMajor,
  decompress,
  encode,
  encodeRowMajor,
  frBbox,
  frPoly,
  frPolygons,
  fromString,
  fromUncompressed,
  iou,
  merge,
  toBbox,
  toString,
  toUncompressed,
  type Rle,
  type RleRuns
} from '../../../src-main/masks/rle'

// Made with pycocotools; CI clones the repo beside shared/.
const vectorsPath = fileURLToPath(new URL('../../../../shared/fixtures/coco-rle/vectors.json', import.meta.url))

interface MaskVector {
  kind: string
  size: [number, number]
  counts_uncompressed: number[]
  counts: string
  area: number
  bbox: [number, number, number, number]
}
interface PolygonVector {
  size: [number, number]
  polygons: number[][]
  counts: string
  area: number
  bbox: [number, number, number, number]
}
interface IouVector {
  a: number
  b: number
  iscrowd: number
  iou: number
}
interface Vectors {
  masks: MaskVector[]
  polygons: PolygonVector[]
  iou_480x640: IouVector[]
}

const vectors = JSON.parse(readFileSync(vectorsPath, 'utf8')) as Vectors
const masks = vectors.masks.map((v) => ({ ...v, label: `${v.kind} ${v.size[0]}x${v.size[1]}` }))
const polygons = vectors.polygons.map((v, i) => ({
  ...v,
  label: `#${i} ${v.size[0]}x${v.size[1]} with ${v.polygons.length} ring(s)`
}))
const iouMasks = vectors.masks.filter((v) => v.size[0] === 480 && v.size[1] === 640)
const iouPairs = vectors.iou_480x640.map((v) => ({ ...v, label: `${v.a} vs ${v.b} iscrowd=${v.iscrowd}` }))

const runsOf = (v: { size: [number, number]; counts_uncompressed: number[] }): RleRuns => ({
  size: v.size,
  counts: Uint32Array.from(v.counts_uncompressed)
})

// mulberry32: a small seeded PRNG so random cases are the same on every run.
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

// A row-major mask with blobs, speckle and full rows/columns, so runs wrap across columns.
function randomRowMajor(h: number, w: number, seed: number, on = 1): Uint8Array {
  const rand = prng(seed)
  const m = new Uint8Array(h * w)
  const density = rand()
  for (let i = 0; i < m.length; i++) if (rand() < density * 0.2) m[i] = on
  for (let b = 0; b < 4; b++) {
    const cx = rand() * w
    const cy = rand() * h
    const r = rand() * Math.max(h, w) * 0.4
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) if ((x - cx) ** 2 + (y - cy) ** 2 < r * r) m[y * w + x] = on
    }
  }
  if (rand() < 0.5) m.fill(on, 0, w)
  if (rand() < 0.5) for (let y = 0; y < h; y++) m[y * w + w - 1] = on
  return m
}

function transpose(src: Uint8Array, rows: number, cols: number): Uint8Array {
  const out = new Uint8Array(src.length)
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = src[r * cols + c]!
  return out
}

// Index of the first differing element, or -1; toEqual walks megapixel arrays too slowly.
function firstDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Math.min(a.length, b.length)
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return i
  return -1
}

const randomSizes: [number, number][] = [
  [1, 1],
  [1, 7],
  [9, 1],
  [3, 4],
  [5, 8],
  [17, 23],
  [32, 64],
  [61, 40],
  [100, 150]
]

describe('COCO RLE against the reference vectors', () => {
  it('reads every section of the fixtures', () => {
    expect(masks.length).toBeGreaterThan(40)
    expect(polygons.length).toBeGreaterThan(10)
    expect(iouMasks.length).toBe(6)
    expect(iouPairs.length).toBe(iouMasks.length * iouMasks.length * 2)
  })

  it.each(masks)('compresses the $label runs to the reference string bit-exactly', (v) => {
    expect(toString(runsOf(v))).toBe(v.counts)
  })

  it.each(masks)('parses the $label reference string back to the reference runs', (v) => {
    const runs = fromString(v.counts, v.size[0], v.size[1])
    expect(Array.from(runs.counts)).toEqual(v.counts_uncompressed)
    expect(runs.size).toEqual(v.size)
  })

  it.each(masks)('measures the $label area and bbox as the reference does', (v) => {
    const rle: Rle = { size: v.size, counts: v.counts }
    expect(area(rle)).toBe(v.area)
    expect(toBbox(rle)).toEqual(v.bbox)
    expect(area(runsOf(v))).toBe(v.area)
    expect(toBbox(runsOf(v))).toEqual(v.bbox)
  })

  it.each(masks)('re-encodes the decoded $label mask to the same runs in both memory orders', (v) => {
    const [h, w] = v.size
    const rle: Rle = { size: v.size, counts: v.counts }
    const colMajor = decode(rle)
    const rowMajor = decodeRowMajor(rle)
    expect(firstDifference(rowMajor, transpose(colMajor, w, h))).toBe(-1)
    expect(colMajor.reduce((s, b) => s + b, 0)).toBe(v.area)
    expect(Array.from(encode(colMajor, h, w).counts)).toEqual(v.counts_uncompressed)
    expect(Array.from(encodeRowMajor(rowMajor, h, w).counts)).toEqual(v.counts_uncompressed)
    expect(compress(encodeRowMajor(rowMajor, h, w))).toEqual({ size: v.size, counts: v.counts })
  })

  it.each(polygons)('rasterises polygon list $label bit-exactly', (v) => {
    const [h, w] = v.size
    const runs = frPolygons(v.polygons, h, w)
    expect(toString(runs)).toBe(v.counts)
    expect(area(runs)).toBe(v.area)
    expect(toBbox(runs)).toEqual(v.bbox)
  })

  it.each(polygons.filter((v) => v.polygons.length > 1))(
    'rasterises $label as the union of its rings rasterised one by one',
    (v) => {
      const [h, w] = v.size
      const rings = v.polygons.map((ring) => frPoly(ring, h, w))
      expect(toString(merge(rings))).toBe(v.counts)
    }
  )

  it.each(iouPairs)('computes the IoU of pair $label bit-exactly', (v) => {
    const a: Rle = { size: iouMasks[v.a]!.size, counts: iouMasks[v.a]!.counts }
    const b: Rle = { size: iouMasks[v.b]!.size, counts: iouMasks[v.b]!.counts }
    expect(iou([a], [b], [v.iscrowd])).toEqual([[v.iou]])
  })

  it.each([0, 1])('computes the whole IoU matrix with iscrowd=%i as ious[dt][gt]', (crowd) => {
    const rles = iouMasks.map((v) => runsOf(v))
    const matrix = iou(
      rles,
      rles,
      rles.map(() => crowd === 1)
    )
    for (const pair of vectors.iou_480x640.filter((p) => p.iscrowd === crowd)) {
      expect(matrix[pair.a]![pair.b]).toBe(pair.iou)
    }
  })
})

describe('COCO RLE behaviour', () => {
  it.each(randomSizes)('round-trips random %ix%i masks through encode and decode in both memory orders', (h, w) => {
    for (let seed = 1; seed <= 12; seed++) {
      const rowMajor = randomRowMajor(h, w, seed * 7919 + h * 31 + w)
      const colMajor = transpose(rowMajor, h, w)
      const runs = encode(colMajor, h, w)
      expect(runs.counts.reduce((s, c) => s + c, 0)).toBe(h * w)
      expect(encodeRowMajor(rowMajor, h, w)).toEqual(runs)
      expect(firstDifference(decode(runs), colMajor)).toBe(-1)
      expect(firstDifference(decodeRowMajor(runs), rowMajor)).toBe(-1)
      const compressed = compress(runs)
      expect(decompress(compressed)).toEqual(runs)
      expect(fromUncompressed(toUncompressed(compressed))).toEqual(runs)
      expect(area(compressed)).toBe(rowMajor.reduce((s, v) => s + v, 0))
    }
  })

  it('treats any non-zero byte as foreground, as canvases and sharp give 255', () => {
    const ones = randomRowMajor(40, 52, 99, 1)
    const full = ones.map((v, i) => (v === 0 ? 0 : 1 + (i % 255)))
    expect(encodeRowMajor(full, 40, 52)).toEqual(encodeRowMajor(ones, 40, 52))
    expect(encode(transpose(full, 40, 52), 40, 52)).toEqual(encodeRowMajor(ones, 40, 52))
    expect(encodeRowMajor(new Uint8ClampedArray(full), 40, 52)).toEqual(encodeRowMajor(ones, 40, 52))
  })

  it('encodes a mask that is not word-aligned in its buffer like an aligned one', () => {
    const mask = randomRowMajor(30, 48, 5)
    const shifted = new Uint8Array(mask.length + 1).subarray(1)
    shifted.set(mask)
    expect(encodeRowMajor(shifted, 30, 48)).toEqual(encodeRowMajor(mask, 30, 48))
    shifted.set(transpose(mask, 30, 48))
    expect(encode(shifted, 30, 48)).toEqual(encodeRowMajor(mask, 30, 48))
  })

  it('decodes a crop equal to the same crop of the full decode', () => {
    const rand = prng(2024)
    for (const [h, w] of randomSizes) {
      const full = randomRowMajor(h, w, h * 1000 + w)
      const rle = compress(encodeRowMajor(full, h, w))
      for (let n = 0; n < 20; n++) {
        const x = Math.floor(rand() * w)
        const y = Math.floor(rand() * h)
        const width = Math.floor(rand() * (w - x + 1))
        const height = Math.floor(rand() * (h - y + 1))
        const expected = new Uint8Array(width * height)
        for (let r = 0; r < height; r++) expected.set(full.subarray((y + r) * w + x, (y + r) * w + x + width), r * width)
        expect(decodeRegion(rle, { x, y, width, height })).toEqual(expected)
      }
    }
  })

  it('paints a crop into a caller buffer with a colour, clearing what was there', () => {
    const full = randomRowMajor(50, 70, 11)
    const rle = compress(encodeRowMajor(full, 50, 70))
    const region = { x: 13, y: 7, width: 40, height: 30 }
    const crop = decodeRegion(rle, region)
    const colour = 0xff3366cc
    const rgba = new Uint32Array(region.width * region.height + 5).fill(0xdeadbeef)
    expect(decodeRegion(rle, region, rgba, colour)).toBe(rgba)
    expect(Array.from(rgba.subarray(0, crop.length))).toEqual(Array.from(crop, (v) => (v ? colour : 0)))
    expect(rgba[crop.length]).toBe(0xdeadbeef)
    const alpha = new Uint8ClampedArray(region.width * region.height + 1).subarray(1)
    decodeRegion(rle, region, alpha, 255)
    expect(Array.from(alpha)).toEqual(Array.from(crop, (v) => v * 255))
  })

  it('draws one object of a 20000x15000 image from its bbox crop', () => {
    const h = 15000
    const w = 20000
    const rle = compress(frPoly([18000, 100, 18400, 150, 18300, 420, 17950, 380], h, w))
    const [x, y, width, height] = toBbox(rle)
    expect([x, y, width, height]).toEqual([17950, 100, 450, 320])
    const crop = decodeRegion(rle, { x, y, width, height })
    expect(crop.length).toBe(width * height)
    expect(crop.reduce((s, v) => s + v, 0)).toBe(area(rle))
  })

  it('merges random masks into their pixelwise union and intersection', () => {
    const [h, w] = [37, 29]
    const parts = [1, 2, 3].map((s) => randomRowMajor(h, w, s * 101))
    const rles = parts.map((m) => encodeRowMajor(m, h, w))
    const union = parts[0]!.map((_, i) => (parts.some((m) => m[i]) ? 1 : 0))
    const inter = parts[0]!.map((_, i) => (parts.every((m) => m[i]) ? 1 : 0))
    expect(decodeRowMajor(merge(rles))).toEqual(union)
    expect(decodeRowMajor(merge(rles, true))).toEqual(inter)
    expect(merge([rles[0]!])).toEqual(rles[0])
  })

  it('computes IoU from pixel counts, and against the detection area for crowds', () => {
    const [h, w] = [40, 60]
    const a = randomRowMajor(h, w, 7)
    const b = randomRowMajor(h, w, 8)
    const inter = a.reduce((s, v, i) => s + (v && b[i] ? 1 : 0), 0)
    const union = a.reduce((s, v, i) => s + (v || b[i] ? 1 : 0), 0)
    const areaA = a.reduce((s, v) => s + v, 0)
    const ra = encodeRowMajor(a, h, w)
    const rb = encodeRowMajor(b, h, w)
    expect(iou([ra], [rb, ra], [false, false])).toEqual([[inter / union, 1]])
    expect(iou([ra], [rb], [true])).toEqual([[inter / areaA]])
    expect(iou([], [rb], [0])).toEqual([])
  })

  it('rasterises an integer box to exactly its pixels', () => {
    const rand = prng(77)
    for (let n = 0; n < 50; n++) {
      const [h, w] = [40, 50]
      const bw = 1 + Math.floor(rand() * 20)
      const bh = 1 + Math.floor(rand() * 20)
      const x = Math.floor(rand() * (w - bw))
      const y = Math.floor(rand() * (h - bh))
      const runs = frBbox([x, y, bw, bh], h, w)
      expect(area(runs)).toBe(bw * bh)
      expect(toBbox(runs)).toEqual([x, y, bw, bh])
    }
  })

  it('keeps polygon points outside the mask out of it', () => {
    const runs = frPoly([-10, -10, 30, -10, 30, 5, -10, 5], 20, 20)
    // Vertices at y = -10 and y = 5 cover rows 0 to 4: pixel centres inside the polygon.
    expect(toBbox(runs)).toEqual([0, 0, 20, 5])
    expect(area(runs)).toBe(20 * 5)
  })

  it('compresses counts of every magnitude up to 2^32 and reads them back', () => {
    const size: [number, number] = [65536, 65535]
    const total = size[0] * size[1]
    const rand = prng(31)
    for (let n = 0; n < 40; n++) {
      // Runs around the 30-, 31- and 32-bit edges, mixed with small ones, so deltas swing both ways.
      const list: number[] = []
      let left = total
      while (left > 0 && list.length < 12) {
        const edge = [2 ** 30, 2 ** 31, 2 ** 32 - 2, 1, 31, 1024][Math.floor(rand() * 6)]!
        const c = Math.min(left, Math.max(0, edge + Math.floor((rand() - 0.5) * 64)))
        list.push(c)
        left -= c
      }
      if (left > 0) list.push(left)
      const runs: RleRuns = { size, counts: Uint32Array.from(list) }
      expect(fromString(toString(runs), ...size)).toEqual(runs)
    }
  })

  it('accepts empty runs in uncompressed input and reproduces rleToBbox on them', () => {
    // Zero runs past the first only come from hand-written COCO files; the reference still reads them.
    const runs = fromUncompressed({ size: [3, 4], counts: [2, 3, 0, 2, 5] })
    expect(area(runs)).toBe(5)
    expect(toBbox(runs)).toEqual([0, 0, 3, 3])
    expect(fromString(toString(runs), 3, 4)).toEqual(runs)
    expect(Array.from(decode(runs))).toEqual([0, 0, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0])
  })
})

describe('COCO RLE bad calls', () => {
  it('BAD CALL – runs that do not cover the mask', () => {
    expect(() => fromUncompressed({ size: [3, 5], counts: [3, 4, 5] })).toThrow(
      new RangeError('rle.counts: runs sum to 12 but size is 3x5')
    )
    expect(() => area({ size: [3, 5], counts: Uint32Array.of(3, 4, 5) })).toThrow(
      new RangeError('rle.counts: runs sum to 12 but size is 3x5')
    )
    expect(() => fromString('1', 3, 5)).toThrow(new RangeError('counts: runs sum to 1 but size is 3x5'))
  })

  it('BAD CALL – a compressed string with an invalid character', () => {
    expect(() => fromString('01~', 3, 5)).toThrow(
      new RangeError(`counts: invalid character "~" at offset 2 (expected ASCII 48 '0' to 111 'o')`)
    )
    expect(() => toBbox({ size: [3, 5], counts: '0 ' })).toThrow(
      new RangeError(`rle.counts: invalid character " " at offset 1 (expected ASCII 48 '0' to 111 'o')`)
    )
  })

  it('BAD CALL – a truncated compressed string', () => {
    expect(() => fromString('01P', 3, 5)).toThrow(
      new RangeError('counts: truncated string, the run starting at offset 2 is unfinished')
    )
  })

  it('BAD CALL – a compressed run too long or decoding below zero', () => {
    expect(() => fromString('PPPPPPP0', 3, 5)).toThrow(
      new RangeError('counts: the run starting at offset 0 is longer than 7 characters')
    )
    // Runs 5, 10, 3, then 'D', a delta of -12 against the 10 two runs before.
    expect(() => fromString(toString({ size: [1, 18], counts: Uint32Array.of(5, 10, 3) }) + 'D', 1, 18)).toThrow(
      new RangeError('counts: run 3 decodes to -2, outside 0 to 4294967295')
    )
  })

  it('BAD CALL – counts of the wrong type', () => {
    const bad = { size: [3, 5], counts: [15] } as unknown as Rle
    expect(() => decode(bad)).toThrow(
      new TypeError(
        'rle.counts: expected a string or a Uint32Array, got an array of length 1 (read a number array with fromUncompressed)'
      )
    )
    expect(() => toString({ size: [1, 1], counts: '1' } as unknown as RleRuns)).toThrow(
      new TypeError('rle.counts: expected a Uint32Array, got a string (the mask is already compressed)')
    )
  })

  it('BAD CALL – sizes that are not positive integers', () => {
    expect(() => encode(new Uint8Array(0), 0, 5)).toThrow(new RangeError('h: must be a positive integer, got 0'))
    expect(() => frPoly([0, 0, 1, 1, 2, 0], 4, 2.5)).toThrow(new RangeError('w: must be a positive integer, got 2.5'))
    expect(() => fromString('1', '3' as unknown as number, 5)).toThrow(
      new TypeError('h: expected a number, got a string')
    )
    expect(() => area({ size: [3], counts: '3' } as unknown as Rle)).toThrow(
      new TypeError('rle.size: expected [height, width], got an array of length 1')
    )
    expect(() => encode(new Uint8Array(1), 70000, 70000)).toThrow(
      new RangeError('h, w: 70000x70000 is more than 4294967295 pixels')
    )
  })

  it('BAD CALL – a mask of the wrong type or length', () => {
    expect(() => encode(new Uint8Array(14), 3, 5)).toThrow(new RangeError('mask: length 14 but size is 3x5 = 15'))
    expect(() => encodeRowMajor([1, 0] as unknown as Uint8Array, 1, 2)).toThrow(
      new TypeError('mask: expected a Uint8Array or Uint8ClampedArray, got an array of length 2')
    )
  })

  it('BAD CALL – a region outside the mask, a short buffer, a value out of range', () => {
    const rle = frBbox([1, 1, 2, 2], 4, 6)
    expect(() => decodeRegion(rle, { x: 5, y: 0, width: 2, height: 1 })).toThrow(
      new RangeError('region: 2x1 at (5, 0) reaches outside the 4x6 mask')
    )
    expect(() => decodeRegion(rle, { x: 0, y: -1, width: 2, height: 1 })).toThrow(
      new RangeError('region.y: must be a non-negative integer, got -1')
    )
    expect(() => decodeRegion(rle, { x: 0, y: 0, width: 2, height: 2 }, new Uint8Array(3))).toThrow(
      new RangeError("out: length 3 is less than the region's 2x2 = 4 pixels")
    )
    const kept = new Uint8Array(4).fill(9)
    expect(() => decodeRegion(rle, { x: 0, y: 0, width: 2, height: 2 }, kept, 256)).toThrow(
      new RangeError('value: must be an integer from 0 to 255, got 256')
    )
    expect(Array.from(kept)).toEqual([9, 9, 9, 9])
    expect(() =>
      decodeRegion(rle, { x: 0, y: 0, width: 1, height: 1 }, new Float32Array(1) as unknown as Uint8Array)
    ).toThrow(new TypeError('out: expected a Uint8Array, Uint8ClampedArray or Uint32Array, got a Float32Array'))
  })

  it('BAD CALL – masks of different sizes in merge and iou', () => {
    const a = frBbox([0, 0, 2, 2], 4, 4)
    const b = frBbox([0, 0, 2, 2], 4, 5)
    expect(() => merge([a, b])).toThrow(new RangeError("rles[1]: size 4x5 differs from the first mask's 4x4"))
    expect(() => iou([a], [b], [0])).toThrow(new RangeError("gt[0]: size 4x5 differs from the first mask's 4x4"))
    expect(() => merge([])).toThrow(new RangeError('rles: must hold at least one mask'))
  })

  it('BAD CALL – iscrowd not matching gt', () => {
    const a = frBbox([0, 0, 2, 2], 4, 4)
    expect(() => iou([a], [a, a], [0])).toThrow(new RangeError('iscrowd: has 1 flags but gt has 2 masks'))
    expect(() => iou([a], [a], undefined as unknown as boolean[])).toThrow(
      new TypeError('iscrowd: expected an array of booleans, got undefined')
    )
  })

  it('BAD CALL – polygons with too few, odd or non-finite coordinates', () => {
    expect(() => frPolygons([[0, 0, 5, 5]], 10, 10)).toThrow(
      new RangeError('polys[0]: needs an even number of coordinates, at least 6, got 4')
    )
    expect(() => frPoly([0, 0, 5], 10, 10)).toThrow(
      new RangeError('xy: needs an even number of coordinates, at least 2, got 3')
    )
    expect(() => frPoly([0, 0, NaN, 5], 10, 10)).toThrow(
      new RangeError('xy[2]: must be a finite number within ±1000000, got NaN')
    )
    expect(() => frPolygons([], 10, 10)).toThrow(new RangeError('polys: must hold at least one ring'))
    expect(() => frBbox([0, 0, 5], 10, 10)).toThrow(
      new RangeError('bb: needs an even number of coordinates, at least 4, got 3')
    )
  })
})
