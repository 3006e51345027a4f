// COCO run-length encoding, bit-exact with the reference COCO API (pycocotools' common/maskApi.c).
//
// Masks are run lengths over the column-major (Fortran order) pixel sequence; the first run counts
// zeros. The reference's integer arithmetic and quirks are kept on purpose (rounding in rleFrPoly,
// the whole-height boxes of rleToBbox, the delta coding of rleToString) so that what we store and
// export is exactly what pycocotools computes. Deviations only concern input the reference does
// not define: any non-zero mask byte is foreground (C compares raw bytes), masks of different sizes
// in merge/iou throw instead of giving an empty RLE or -1, and malformed strings, runs that do not
// sum to h*w, or polygon rings under 3 points throw an error naming the parameter.
//
// No Node imports: the renderer draws masks with this file too.

/** Height and width of a mask, in the order COCO writes them. */
export type RleSize = readonly [height: number, width: number]

/** A mask as COCO JSON stores it: column-major run lengths compressed to a string. */
export interface Rle {
  readonly size: RleSize
  readonly counts: string
}

/** A mask as column-major run lengths (maskApi.c's RLE); the first run counts zeros. */
export interface RleRuns {
  readonly size: RleSize
  readonly counts: Uint32Array
}

/** COCO's uncompressed RLE as JSON holds it (the form used by crowd annotations). */
export interface UncompressedRle {
  readonly size: RleSize
  readonly counts: readonly number[]
}

/** Either in-memory form; every reader in this module accepts both. */
export type RleLike = Rle | RleRuns

/** A box `[x, y, width, height]` in pixels, as COCO writes `bbox`. */
export type Bbox = [x: number, y: number, width: number, height: number]

/** A rectangle of whole pixels inside a mask, for decodeRegion. */
export interface Region {
  readonly x: number
  readonly y: number
  readonly width: number
  readonly height: number
}

/** Binary mask buffers this module reads; any non-zero byte is foreground. */
export type MaskInput = Uint8Array | Uint8ClampedArray

/** Buffers decodeRegion can write into (a Uint32Array views RGBA pixels as one word each). */
export type MaskBuffer = Uint8Array | Uint8ClampedArray | Uint32Array

// Run lengths are C `uint`s in the reference, so a mask holds at most 2^32 - 1 pixels.
const MAX_PIXELS = 0xffffffff
// Polygon coordinates are bounded: C ints hold them scaled by 5, and the rasteriser walks every
// upsampled point of every edge, so far-away vertices cost time even outside the mask.
const MAX_COORD = 1e6
// rleFrPoly upsamples the polygon by this factor before walking its edges.
const POLY_SCALE = 5
// One run needs at most 34 bits with its sign, i.e. 7 characters of 5 payload bits.
const MAX_RUN_CHARS = 7
// Encoders reserve room for this many pixels at a time rather than for a whole mask's worth.
const CHUNK = 4096
// 32^k: the weight of a run's k-th character.
const POW32 = [1, 32, 1024, 32768, 1048576, 33554432, 1073741824, 34359738368]

// ---------------------------------------------------------------------------------------------
// Encoding

/** Encodes a column-major binary mask of h rows and w columns into runs (rleEncode). */
export function encode(mask: MaskInput, h: number, w: number): RleRuns {
  const size = checkSizeArgs(h, w)
  checkMask(mask, h, w)
  const a = h * w
  // Run starts go to starts[1..n], between an origin slot starts[0] = 0 and a closing slot at the
  // end; differencing then turns positions into run lengths. A mask beginning with a one has a
  // start at 0, so its first run is empty, as in the reference.
  let starts = new Uint32Array(Math.min(a, CHUNK) + 2)
  let n = 0
  let prev = 0
  const words = wordView(mask)
  for (let c0 = 0; c0 < a; c0 += CHUNK) {
    const c1 = Math.min(a, c0 + CHUNK)
    starts = ensure(starts, n + (c1 - c0) + 2)
    let j = c0
    if (words !== null) {
      // Four pixels at a time where nothing changes: a zero word while off, no zero byte while on.
      // Chunks start on a multiple of 4, so whole words run up to c1 rounded down.
      for (const wordEnd = c1 & ~3; j < wordEnd; j += 4) {
        const v = words[j >>> 2]!
        if (prev === 0 ? v === 0 : ((v - 0x01010101) & ~v & 0x80808080) === 0) continue
        for (let i = j; i < j + 4; i++) {
          // Branch-free: noisy masks make the branch unpredictable and slow.
          const on = (mask[i]! + 255) >> 8
          starts[n + 1] = i
          n += on ^ prev
          prev = on
        }
      }
    }
    for (; j < c1; j++) {
      const on = (mask[j]! + 255) >> 8
      starts[n + 1] = j
      n += on ^ prev
      prev = on
    }
  }
  return { size, counts: startsToRuns(starts, n, a) }
}

/**
 * Encodes a row-major binary mask (canvas, sharp raw) of h rows and w columns into the same
 * column-major runs as encode would give for its transpose, without building the transpose.
 */
export function encodeRowMajor(mask: MaskInput, h: number, w: number): RleRuns {
  const size = checkSizeArgs(h, w)
  checkMask(mask, h, w)
  // A column-major run starts at (x, y) where the pixel differs from the one before it in column
  // order: for y > 0 that is (x, y-1), the row above, so a sequential row-by-row scan finds the
  // starts; for y = 0 it is the bottom of the previous column. The scan meets starts in row order
  // (kept as row-major indices), and a counting sort by column puts them in column order.
  const perColumn = new Uint32Array(w)
  let found = new Uint32Array(Math.max(CHUNK, 2 * w))
  let n = 0
  const bottom = (h - 1) * w
  let before = 0
  for (let x = 0; x < w; x++) {
    const on = (mask[x]! + 255) >> 8
    const d = on ^ before
    found[n] = x
    n += d
    perColumn[x] = perColumn[x]! + d
    before = (mask[bottom + x]! + 255) >> 8
  }
  // Whole rows are word-aligned only when the width is a multiple of 4.
  const words = (w & 3) === 0 ? wordView(mask) : null
  const wordsPerRow = w >>> 2
  for (let y = 1; y < h; y++) {
    const row = y * w
    found = ensure(found, n + w)
    if (words !== null) {
      // Skip four pixels at a time where the row equals the row above; most of a mask does.
      const rowWord = row >>> 2
      for (let q = 0; q < wordsPerRow; q++) {
        if (words[rowWord + q] === words[rowWord + q - wordsPerRow]) continue
        for (let x = q << 2, end = x + 4; x < end; x++) {
          const i = row + x
          // Branch-free: noisy masks make the branch unpredictable and slow.
          const d = ((mask[i]! + 255) >> 8) ^ ((mask[i - w]! + 255) >> 8)
          found[n] = i
          n += d
          perColumn[x] = perColumn[x]! + d
        }
      }
    } else {
      for (let x = 0; x < w; x++) {
        const i = row + x
        const d = ((mask[i]! + 255) >> 8) ^ ((mask[i - w]! + 255) >> 8)
        found[n] = i
        n += d
        perColumn[x] = perColumn[x]! + d
      }
    }
  }
  // perColumn becomes each column's first slot in column order.
  let total = 0
  for (let x = 0; x < w; x++) {
    const c = perColumn[x]!
    perColumn[x] = total
    total += c
  }
  const starts = new Uint32Array(n + 2)
  let y = 0
  let rowStart = 0
  for (let j = 0; j < n; j++) {
    const i = found[j]!
    while (i >= rowStart + w) {
      y++
      rowStart += w
    }
    const x = i - rowStart
    starts[1 + perColumn[x]!++] = x * h + y
  }
  return { size, counts: startsToRuns(starts, n, h * w) }
}

// Run lengths from run starts held in starts[1..n] (slot 0 is free to serve as the origin).
function startsToRuns(starts: Uint32Array, n: number, a: number): Uint32Array {
  starts[0] = 0
  starts[n + 1] = a
  for (let j = n + 1; j > 0; j--) starts[j] = starts[j]! - starts[j - 1]!
  return starts.slice(1, n + 2)
}

// ---------------------------------------------------------------------------------------------
// Decoding

/** Decodes runs into a column-major mask of 0/1 bytes (rleDecode). */
export function decode(rle: RleLike): Uint8Array {
  const { size, counts } = toRuns(rle, 'rle')
  const out = new Uint8Array(size[0] * size[1])
  let pos = 0
  for (let j = 0; j < counts.length; j++) {
    const n = counts[j]!
    if ((j & 1) === 1) {
      if (n > 32) out.fill(1, pos, pos + n)
      else for (let i = pos, end = pos + n; i < end; i++) out[i] = 1
    }
    pos += n
  }
  return out
}

/** Decodes runs into a row-major mask of 0/1 bytes, as canvases and images lay pixels out. */
export function decodeRowMajor(rle: RleLike): Uint8Array {
  const runs = toRuns(rle, 'rle')
  const [h, w] = runs.size
  return decodeRegion(runs, { x: 0, y: 0, width: w, height: h })
}

/**
 * Decodes only the pixels of `region` into a row-major buffer of region.width × region.height,
 * so one object of a 20000×15000 image is drawn without a full-size buffer. Background pixels
 * become 0 and foreground pixels `value` (default 1; pass a packed RGBA colour with a Uint32Array
 * viewing ImageData to paint directly).
 */
export function decodeRegion(rle: RleLike, region: Region): Uint8Array
/** decodeRegion into a caller's buffer of at least region.width × region.height elements. */
export function decodeRegion<T extends MaskBuffer>(rle: RleLike, region: Region, out: T, value?: number): T
export function decodeRegion(rle: RleLike, region: Region, out?: MaskBuffer, value = 1): MaskBuffer {
  const { size, counts } = toRuns(rle, 'rle')
  const [h, w] = size
  const { x: x0, y: y0, width: cw, height: ch } = checkRegion(region, h, w)
  const n = cw * ch
  if (out !== undefined) {
    if (!(out instanceof Uint8Array || out instanceof Uint8ClampedArray || out instanceof Uint32Array)) {
      throw new TypeError(`out: expected a Uint8Array, Uint8ClampedArray or Uint32Array, got ${describe(out)}`)
    }
    if (out.length < n) {
      throw new RangeError(`out: length ${out.length} is less than the region's ${cw}x${ch} = ${n} pixels`)
    }
  }
  const max = out instanceof Uint32Array ? 0xffffffff : 255
  if (typeof value !== 'number') throw new TypeError(`value: expected a number, got ${describe(value)}`)
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw new RangeError(`value: must be an integer from 0 to ${max}, got ${value}`)
  }
  const target = out ?? new Uint8Array(n)
  if (out !== undefined) target.fill(0, 0, n)
  if (n === 0) return target

  // Write each column's top pixel into row 0 and an XOR toggle wherever a run starts further down
  // the column; a running XOR down the rows then turns toggles into filled pixels. Every write is
  // row-major and the fill is one sequential pass, instead of a strided write per pixel. Empty runs
  // toggle twice at the same place and cancel, as they do in the reference.
  let j = 0
  let pos = 0 // start of run j
  for (let c = 0; c < cw; c++) {
    const top = (x0 + c) * h + y0
    const bottom = top + ch
    while (j < counts.length && pos + counts[j]! <= top) pos += counts[j++]!
    if ((j & 1) === 1) target[c] = value
    let next = pos + (counts[j] ?? 0)
    while (next < bottom && j < counts.length) {
      target[(next - top) * cw + c]! ^= value
      pos = next
      j++
      next = pos + (counts[j] ?? 0)
    }
  }
  xorDown(target, cw, ch)
  return target
}

// out[r] ^= out[r - 1] for every row r, row by row; four bytes at a time when rows are word-aligned.
function xorDown(out: MaskBuffer, stride: number, rows: number): void {
  if (out instanceof Uint32Array) return xorDownWords(out, stride, stride * rows)
  if ((stride & 3) === 0) {
    const words = wordView(out)
    if (words !== null) return xorDownWords(words, stride >>> 2, (stride * rows) >>> 2)
  }
  const end = stride * rows
  for (let i = stride; i < end; i++) out[i] = out[i]! ^ out[i - stride]!
}

// Kept apart from the byte loop so each stays monomorphic for the JIT.
function xorDownWords(data: Uint32Array, step: number, end: number): void {
  for (let i = step; i < end; i++) data[i] = data[i]! ^ data[i - step]!
}

// ---------------------------------------------------------------------------------------------
// Compressed strings

/**
 * Compresses runs to COCO's string (rleToString): like LEB128 with 5 payload bits per character
 * in ASCII 48..111, and every count after the third stored as its difference from the count two
 * before it.
 */
export function toString(rle: RleRuns): string {
  const { counts } = checkRuns(rle, 'rle')
  const m = counts.length
  const chars = new Uint8Array(m * MAX_RUN_CHARS)
  let p = 0
  for (let i = 0; i < m; i++) {
    let x = counts[i]!
    if (i > 2) x -= counts[i - 2]!
    if ((x | 0) === x) {
      for (;;) {
        let c = x & 0x1f
        x >>= 5
        const more = (c & 0x10) !== 0 ? x !== -1 : x !== 0
        if (more) c |= 0x20
        chars[p++] = c + 48
        if (!more) break
      }
    } else {
      // Values beyond ±2^31 (only in masks over two gigapixels): the same steps without 32-bit operators.
      for (;;) {
        const q = Math.floor(x / 32)
        let c = x - q * 32
        x = q
        const more = (c & 0x10) !== 0 ? x !== -1 : x !== 0
        if (more) c |= 0x20
        chars[p++] = c + 48
        if (!more) break
      }
    }
  }
  return asciiString(chars, p)
}

/** Parses COCO's compressed string for a mask of h rows and w columns (rleFrString). */
export function fromString(counts: string, h: number, w: number): RleRuns {
  const size = checkSizeArgs(h, w)
  return { size, counts: parseCounts(counts, h, w, 'counts') }
}

/** Compresses runs to COCO's JSON form `{ size, counts: string }`. */
export function compress(rle: RleRuns): Rle {
  const runs = checkRuns(rle, 'rle')
  return { size: [runs.size[0], runs.size[1]], counts: toString(runs) }
}

/** Expands COCO's JSON form `{ size, counts: string }` to runs. */
export function decompress(rle: Rle): RleRuns {
  if (typeof rle !== 'object' || rle === null) throw new TypeError(`rle: expected an RLE object, got ${describe(rle)}`)
  const [h, w] = checkSize(rle.size, 'rle.size')
  return { size: [h, w], counts: parseCounts(rle.counts, h, w, 'rle.counts') }
}

/** Reads COCO's uncompressed RLE (`counts` as a number array) into runs. */
export function fromUncompressed(rle: UncompressedRle): RleRuns {
  if (typeof rle !== 'object' || rle === null) throw new TypeError(`rle: expected an object, got ${describe(rle)}`)
  const [h, w] = checkSize(rle.size, 'rle.size')
  const list: unknown = rle.counts
  if (!Array.isArray(list)) throw new TypeError(`rle.counts: expected an array of numbers, got ${describe(list)}`)
  const counts = new Uint32Array(list.length)
  for (let i = 0; i < list.length; i++) {
    const c: unknown = list[i]
    if (typeof c !== 'number') throw new TypeError(`rle.counts[${i}]: expected a number, got ${describe(c)}`)
    if (!Number.isInteger(c) || c < 0 || c > MAX_PIXELS) {
      throw new RangeError(`rle.counts[${i}]: must be a non-negative integer, got ${c}`)
    }
    counts[i] = c
  }
  checkSum(counts, h, w, 'rle.counts')
  return { size: [h, w], counts }
}

/** Writes runs as COCO's uncompressed RLE (`counts` as a number array). */
export function toUncompressed(rle: RleLike): UncompressedRle {
  const { size, counts } = toRuns(rle, 'rle')
  return { size: [size[0], size[1]], counts: Array.from(counts) }
}

// ---------------------------------------------------------------------------------------------
// Measures

/** Number of foreground pixels (rleArea). */
export function area(rle: RleLike): number {
  return areaOf(toRuns(rle, 'rle').counts)
}

/**
 * Bounding box `[x, y, width, height]` exactly as rleToBbox computes it: a foreground run that
 * wraps from one column into the next makes the box span the full height, and an empty mask
 * gives `[0, 0, 0, 0]`.
 */
export function toBbox(rle: RleLike): Bbox {
  const { size, counts } = toRuns(rle, 'rle')
  return bboxOf(counts, size[0], size[1])
}

/**
 * Intersection over union of every detection with every ground truth (rleIou), as `ious[d][g]`.
 * For a crowd ground truth (iscrowd[g] truthy) the union is the detection's area. All masks
 * must have the same size.
 */
export function iou(
  dt: readonly RleLike[],
  gt: readonly RleLike[],
  iscrowd: ArrayLike<boolean | number>
): number[][] {
  const dts = toRunsList(dt, 'dt')
  const gts = toRunsList(gt, 'gt')
  if (typeof iscrowd !== 'object' || iscrowd === null || typeof iscrowd.length !== 'number') {
    throw new TypeError(`iscrowd: expected an array of booleans, got ${describe(iscrowd)}`)
  }
  if (iscrowd.length !== gts.length) {
    throw new RangeError(`iscrowd: has ${iscrowd.length} flags but gt has ${gts.length} masks`)
  }
  const reference = dts[0]?.size ?? gts[0]?.size
  if (reference !== undefined) {
    dts.forEach((r, i) => checkSameSize(r.size, reference, `dt[${i}]`))
    gts.forEach((r, i) => checkSameSize(r.size, reference, `gt[${i}]`))
  }
  const dBoxes = dts.map((r) => bboxOf(r.counts, r.size[0], r.size[1]))
  const gBoxes = gts.map((r) => bboxOf(r.counts, r.size[0], r.size[1]))
  const out: number[][] = []
  for (let d = 0; d < dts.length; d++) {
    const row: number[] = []
    for (let g = 0; g < gts.length; g++) {
      const crowd = Boolean(iscrowd[g])
      // The reference only walks the runs where the boxes overlap; elsewhere the IoU is 0.
      if (bboxIou(dBoxes[d]!, gBoxes[g]!, crowd) <= 0) {
        row.push(0)
        continue
      }
      row.push(runsIou(dts[d]!.counts, gts[g]!.counts, crowd))
    }
    out.push(row)
  }
  return out
}

// ---------------------------------------------------------------------------------------------
// Construction

/** Union (or, with intersect, intersection) of masks of one size (rleMerge). */
export function merge(rles: readonly RleLike[], intersect = false): RleRuns {
  const list = toRunsList(rles, 'rles')
  const first = list[0]
  if (first === undefined) throw new RangeError('rles: must hold at least one mask')
  list.forEach((r, i) => checkSameSize(r.size, first.size, `rles[${i}]`))
  const [h, w] = first.size
  let acc = first.counts
  for (let i = 1; i < list.length; i++) acc = mergeTwo(acc, list[i]!.counts, intersect)
  return { size: [h, w], counts: acc === first.counts ? acc.slice() : acc }
}

/**
 * Rasterises one polygon ring `[x0, y0, x1, y1, ...]` the way rleFrPoly does: vertices scaled
 * by 5 and rounded, edges walked densely, then sampled at pixel centres.
 */
export function frPoly(xy: ArrayLike<number>, h: number, w: number): RleRuns {
  const size = checkSizeArgs(h, w)
  checkPoly(xy, 'xy', 2)
  return { size, counts: polyRuns(xy, h, w) }
}

/** Rasterises a COCO polygon list (rings of one object) as annToRLE does: frPoly each ring, then merge. */
export function frPolygons(polys: readonly (readonly number[])[], h: number, w: number): RleRuns {
  const size = checkSizeArgs(h, w)
  if (!Array.isArray(polys)) throw new TypeError(`polys: expected an array of rings, got ${describe(polys)}`)
  if (polys.length === 0) throw new RangeError('polys: must hold at least one ring')
  const rings = polys.map((ring, i) => {
    // pycocotools reads a list whose first ring has 4 numbers as boxes, not polygons; refusing
    // rings under 3 points keeps us from silently disagreeing with it.
    checkPoly(ring, `polys[${i}]`, 6)
    return { size, counts: polyRuns(ring, h, w) }
  })
  return merge(rings, false)
}

/** Rasterises a box `[x, y, width, height]` as rleFrBbox does (a four-point polygon). */
export function frBbox(bb: ArrayLike<number>, h: number, w: number): RleRuns {
  const size = checkSizeArgs(h, w)
  checkPoly(bb, 'bb', 4)
  if (bb.length !== 4) throw new RangeError(`bb: expected [x, y, width, height], got ${bb.length} numbers`)
  const xs = bb[0]!
  const ys = bb[1]!
  const xe = xs + bb[2]!
  const ye = ys + bb[3]!
  const xy = [xs, ys, xs, ye, xe, ye, xe, ys]
  return { size, counts: polyRuns(xy, h, w) }
}

// ---------------------------------------------------------------------------------------------
// Reference algorithms on run arrays (ports of maskApi.c; argument checks happen above)

function areaOf(counts: Uint32Array): number {
  let a = 0
  for (let j = 1; j < counts.length; j += 2) a += counts[j]!
  return a
}

function bboxOf(counts: Uint32Array, h: number, w: number): Bbox {
  // Only whole (zeros, ones) pairs count; the C code does this arithmetic in 32-bit uints.
  const m = counts.length - (counts.length & 1)
  if (m === 0) return [0, 0, 0, 0]
  let xs = w
  let ys = h
  let xe = 0
  let ye = 0
  let cc = 0
  let xp = 0
  for (let j = 0; j < m; j++) {
    cc = (cc + counts[j]!) >>> 0
    const t = (cc - (j & 1)) >>> 0
    const y = t % h
    const x = (t - y) / h
    if ((j & 1) === 0) xp = x
    else if (xp < x) {
      ys = 0
      ye = h - 1
    }
    xs = Math.min(xs, x)
    xe = Math.max(xe, x)
    ys = Math.min(ys, y)
    ye = Math.max(ye, y)
  }
  return [xs, ys, xe - xs + 1, ye - ys + 1]
}

function bboxIou(d: Bbox, g: Bbox, crowd: boolean): number {
  const w = Math.min(d[2] + d[0], g[2] + g[0]) - Math.max(d[0], g[0])
  if (w <= 0) return 0
  const h = Math.min(d[3] + d[1], g[3] + g[1]) - Math.max(d[1], g[1])
  if (h <= 0) return 0
  const i = w * h
  const da = d[2] * d[3]
  return i / (crowd ? da : da + g[2] * g[3] - i)
}

function runsIou(a: Uint32Array, b: Uint32Array, crowd: boolean): number {
  let ca = a[0]!
  let cb = b[0]!
  let ia = 1
  let ib = 1
  let va = false
  let vb = false
  let inter = 0
  let union = 0
  let ct = 1
  while (ct > 0) {
    const c = Math.min(ca, cb)
    if (va || vb) {
      union += c
      if (va && vb) inter += c
    }
    ct = 0
    ca -= c
    if (ca === 0 && ia < a.length) {
      ca = a[ia++]!
      va = !va
    }
    ct += ca
    cb -= c
    if (cb === 0 && ib < b.length) {
      cb = b[ib++]!
      vb = !vb
    }
    ct += cb
  }
  if (inter === 0) union = 1
  else if (crowd) union = areaOf(a)
  return inter / union
}

function mergeTwo(a: Uint32Array, b: Uint32Array, intersect: boolean): Uint32Array {
  // Every output boundary is a boundary of a or of b, so this many runs always suffice.
  const cnts = new Uint32Array(a.length + b.length + 1)
  let ca = a[0]!
  let cb = b[0]!
  let ia = 1
  let ib = 1
  let va = false
  let vb = false
  let v = false
  let m = 0
  let cc = 0
  let ct = 1
  while (ct > 0) {
    const c = Math.min(ca, cb)
    cc += c
    ct = 0
    ca -= c
    if (ca === 0 && ia < a.length) {
      ca = a[ia++]!
      va = !va
    }
    ct += ca
    cb -= c
    if (cb === 0 && ib < b.length) {
      cb = b[ib++]!
      vb = !vb
    }
    ct += cb
    const vp: boolean = v
    v = intersect ? va && vb : va || vb
    if (v !== vp || ct === 0) {
      cnts[m++] = cc
      cc = 0
    }
  }
  return cnts.slice(0, m)
}

function polyRuns(xy: ArrayLike<number>, h: number, w: number): Uint32Array {
  const k = xy.length >>> 1
  // Vertices scaled and rounded with C's (int) cast, which truncates toward zero (so does ToInt32).
  const x = new Int32Array(k + 1)
  const y = new Int32Array(k + 1)
  for (let j = 0; j < k; j++) {
    x[j] = POLY_SCALE * xy[2 * j]! + 0.5
    y[j] = POLY_SCALE * xy[2 * j + 1]! + 0.5
  }
  x[k] = x[0]!
  y[k] = y[0]!

  // The reference first lists every upsampled boundary point, then keeps the points where u
  // changes; here each point is compared with the previous one as it is made, so memory is the
  // number of kept points, not the (upsampled) perimeter.
  let starts = new Uint32Array(64)
  let m = 0
  let first = true
  let pu = 0
  let pv = 0
  const visit = (u: number, v: number): void => {
    if (!first && u !== pu) {
      let xd = u < pu ? u : u - 1
      xd = (xd + 0.5) / POLY_SCALE - 0.5
      if (Math.floor(xd) === xd && xd >= 0 && xd <= w - 1) {
        let yd = v < pv ? v : pv
        yd = (yd + 0.5) / POLY_SCALE - 0.5
        if (yd < 0) yd = 0
        else if (yd > h) yd = h
        yd = Math.ceil(yd)
        starts = ensure(starts, m + 1)
        starts[m++] = xd * h + yd
      }
    }
    first = false
    pu = u
    pv = v
  }
  for (let j = 0; j < k; j++) {
    let xs = x[j]!
    let xe = x[j + 1]!
    let ys = y[j]!
    let ye = y[j + 1]!
    const dx = Math.abs(xe - xs)
    const dy = Math.abs(ys - ye)
    const flip = (dx >= dy && xs > xe) || (dx < dy && ys > ye)
    if (flip) {
      ;[xs, xe] = [xe, xs]
      ;[ys, ye] = [ye, ys]
    }
    // A repeated vertex gives 0/0 = NaN here, as in C; that point's u equals its neighbours', so
    // its v is never read.
    const s = dx >= dy ? (ye - ys) / dx : (xe - xs) / dy
    if (dx >= dy) {
      for (let d = 0; d <= dx; d++) {
        const t = flip ? dx - d : d
        visit(t + xs, (ys + s * t + 0.5) | 0)
      }
    } else {
      for (let d = 0; d <= dy; d++) {
        const t = flip ? dy - d : d
        visit((xs + s * t + 0.5) | 0, t + ys)
      }
    }
  }

  // Boundary positions, sorted, become run lengths; a repeated position toggles twice, so its
  // empty run is folded into the previous one.
  const a = new Uint32Array(m + 1)
  a.set(starts.subarray(0, m))
  a[m] = h * w
  a.sort()
  let prev = 0
  for (let j = 0; j < a.length; j++) {
    const t = a[j]!
    a[j] = t - prev
    prev = t
  }
  const b = new Uint32Array(a.length)
  let n = 0
  b[n++] = a[0]!
  for (let j = 1; j < a.length; ) {
    if (a[j]! > 0) b[n++] = a[j++]!
    else {
      j++
      if (j < a.length) b[n - 1] = b[n - 1]! + a[j++]!
    }
  }
  return b.slice(0, n)
}

function parseCounts(s: string, h: number, w: number, name: string): Uint32Array {
  if (typeof s !== 'string') throw new TypeError(`${name}: expected a string, got ${describe(s)}`)
  const n = s.length
  // Every run takes at least one character, so this is room enough.
  const cnts = new Uint32Array(n)
  let m = 0
  let p = 0
  while (p < n) {
    const start = p
    let x = 0
    let k = 0
    let c = 0
    do {
      if (p === n) {
        throw new RangeError(`${name}: truncated string, the run starting at offset ${start} is unfinished`)
      }
      c = s.charCodeAt(p) - 48
      if (c < 0 || c > 63) {
        throw new RangeError(
          `${name}: invalid character ${JSON.stringify(s[p])} at offset ${p} (expected ASCII 48 '0' to 111 'o')`
        )
      }
      if (k === MAX_RUN_CHARS) {
        throw new RangeError(`${name}: the run starting at offset ${start} is longer than ${MAX_RUN_CHARS} characters`)
      }
      // 32-bit operators while the value fits in 30 bits; runs over 2^30 take the float path.
      x = k < 6 ? x | ((c & 0x1f) << (5 * k)) : x + (c & 0x1f) * POW32[k]!
      p++
      k++
    } while ((c & 0x20) !== 0)
    // Sign-extend from the last character's top payload bit, as `x |= -1 << 5*k` does.
    if ((c & 0x10) !== 0) x = k <= 6 ? x | (-1 << (5 * k)) : x - POW32[k]!
    if (m > 2) x += cnts[m - 2]!
    if (x < 0 || x > MAX_PIXELS) {
      throw new RangeError(`${name}: run ${m} decodes to ${x}, outside 0 to ${MAX_PIXELS}`)
    }
    cnts[m++] = x
  }
  const counts = cnts.slice(0, m)
  checkSum(counts, h, w, name)
  return counts
}

// ---------------------------------------------------------------------------------------------
// Argument checks: TypeError for the wrong kind of value, RangeError for a wrong value.

function toRuns(rle: RleLike, name: string): RleRuns {
  if (typeof rle !== 'object' || rle === null) throw new TypeError(`${name}: expected an RLE object, got ${describe(rle)}`)
  const [h, w] = checkSize(rle.size, `${name}.size`)
  const counts: unknown = rle.counts
  if (typeof counts === 'string') return { size: [h, w], counts: parseCounts(counts, h, w, `${name}.counts`) }
  if (counts instanceof Uint32Array) {
    checkSum(counts, h, w, `${name}.counts`)
    return rle as RleRuns
  }
  const hint = Array.isArray(counts) ? ' (read a number array with fromUncompressed)' : ''
  throw new TypeError(`${name}.counts: expected a string or a Uint32Array, got ${describe(counts)}${hint}`)
}

function checkRuns(rle: RleRuns, name: string): RleRuns {
  if (typeof rle === 'object' && rle !== null && typeof rle.counts === 'string') {
    throw new TypeError(`${name}.counts: expected a Uint32Array, got a string (the mask is already compressed)`)
  }
  return toRuns(rle, name)
}

function toRunsList(list: readonly RleLike[], name: string): RleRuns[] {
  if (!Array.isArray(list)) throw new TypeError(`${name}: expected an array of RLEs, got ${describe(list)}`)
  return list.map((r, i) => toRuns(r, `${name}[${i}]`))
}

function checkSizeArgs(h: number, w: number): RleSize {
  checkDim(h, 'h')
  checkDim(w, 'w')
  if (h * w > MAX_PIXELS) throw new RangeError(`h, w: ${h}x${w} is more than ${MAX_PIXELS} pixels`)
  return [h, w]
}

function checkSize(size: unknown, name: string): RleSize {
  if (!Array.isArray(size) || size.length !== 2) {
    throw new TypeError(`${name}: expected [height, width], got ${describe(size)}`)
  }
  const [h, w] = size as [unknown, unknown]
  checkDim(h, `${name}[0]`)
  checkDim(w, `${name}[1]`)
  if (h * w > MAX_PIXELS) throw new RangeError(`${name}: ${h}x${w} is more than ${MAX_PIXELS} pixels`)
  return [h, w]
}

function checkDim(value: unknown, name: string): asserts value is number {
  if (typeof value !== 'number') throw new TypeError(`${name}: expected a number, got ${describe(value)}`)
  if (!Number.isInteger(value) || value < 1) {
    throw new RangeError(`${name}: must be a positive integer, got ${value}`)
  }
}

function checkSum(counts: Uint32Array, h: number, w: number, name: string): void {
  let sum = 0
  for (let j = 0; j < counts.length; j++) sum += counts[j]!
  if (sum !== h * w) throw new RangeError(`${name}: runs sum to ${sum} but size is ${h}x${w}`)
}

function checkSameSize(size: RleSize, reference: RleSize, name: string): void {
  if (size[0] !== reference[0] || size[1] !== reference[1]) {
    throw new RangeError(
      `${name}: size ${size[0]}x${size[1]} differs from the first mask's ${reference[0]}x${reference[1]}`
    )
  }
}

function checkMask(mask: unknown, h: number, w: number): asserts mask is MaskInput {
  if (!(mask instanceof Uint8Array || mask instanceof Uint8ClampedArray)) {
    throw new TypeError(`mask: expected a Uint8Array or Uint8ClampedArray, got ${describe(mask)}`)
  }
  if (mask.length !== h * w) {
    throw new RangeError(`mask: length ${mask.length} but size is ${h}x${w} = ${h * w}`)
  }
}

function checkRegion(region: Region, h: number, w: number): Region {
  if (typeof region !== 'object' || region === null) {
    throw new TypeError(`region: expected { x, y, width, height }, got ${describe(region)}`)
  }
  for (const key of ['x', 'y', 'width', 'height'] as const) {
    const v: unknown = region[key]
    if (typeof v !== 'number') throw new TypeError(`region.${key}: expected a number, got ${describe(v)}`)
    if (!Number.isInteger(v) || v < 0) throw new RangeError(`region.${key}: must be a non-negative integer, got ${v}`)
  }
  if (region.x + region.width > w || region.y + region.height > h) {
    throw new RangeError(
      `region: ${region.width}x${region.height} at (${region.x}, ${region.y}) reaches outside the ${h}x${w} mask`
    )
  }
  return region
}

function checkPoly(xy: ArrayLike<number>, name: string, minLength: number): void {
  if (typeof xy !== 'object' || xy === null || typeof xy.length !== 'number') {
    throw new TypeError(`${name}: expected an array of coordinates [x0, y0, x1, y1, ...], got ${describe(xy)}`)
  }
  if (xy.length < minLength || xy.length % 2 !== 0) {
    throw new RangeError(
      `${name}: needs an even number of coordinates, at least ${minLength}, got ${xy.length}`
    )
  }
  for (let i = 0; i < xy.length; i++) {
    const v: unknown = xy[i]
    if (typeof v !== 'number') throw new TypeError(`${name}[${i}]: expected a number, got ${describe(v)}`)
    if (!Number.isFinite(v) || Math.abs(v) > MAX_COORD) {
      throw new RangeError(`${name}[${i}]: must be a finite number within ±${MAX_COORD}, got ${v}`)
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Small helpers

function describe(value: unknown): string {
  if (value === null) return 'null'
  if (value === undefined) return 'undefined'
  if (Array.isArray(value)) return `an array of length ${value.length}`
  if (typeof value === 'object') return `a ${value.constructor?.name ?? 'object'}`
  if (typeof value === 'string') return `a string`
  return `${typeof value} ${String(value)}`
}

// A buffer holding a's contents with room for at least `needed` elements (a itself if it has).
function ensure(a: Uint32Array<ArrayBuffer>, needed: number): Uint32Array<ArrayBuffer> {
  if (a.length >= needed) return a
  const b = new Uint32Array(Math.max(needed, a.length * 2))
  b.set(a)
  return b
}

// A 32-bit view of a byte buffer when its start is word-aligned, else null.
function wordView(bytes: Uint8Array | Uint8ClampedArray): Uint32Array | null {
  if ((bytes.byteOffset & 3) !== 0) return null
  return new Uint32Array(bytes.buffer, bytes.byteOffset, bytes.length >>> 2)
}

// Latin-1 decoding maps each byte to one char; our bytes are all ASCII 48..111.
const latin1 = new TextDecoder('latin1')

function asciiString(chars: Uint8Array, length: number): string {
  return latin1.decode(chars.subarray(0, length))
}
