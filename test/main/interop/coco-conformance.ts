/**
 * The rules a COCO instances file must follow for the reference COCO API and the training frameworks to
 * read it without surprises, checked independently of the exporter: every violation is returned as text.
 */
import { decode, decompress, frPolygons, type RleRuns } from '../../../src-main/masks/rle'

/** The parts of a COCO file the checks read. */
export interface CocoFile {
  info: Record<string, unknown>
  licenses: unknown[]
  categories: { id: number; name: string; supercategory: string }[]
  images: { id: number; file_name: string; width: number; height: number }[]
  annotations: {
    id: number
    image_id: number
    category_id: number
    segmentation: { size: [number, number]; counts: string } | number[][]
    area: number
    bbox: [number, number, number, number]
    iscrowd: number
    score?: number
  }[]
}

/** What the checker may assume about how an export's polygons were made. */
export interface CocoCheckOptions {
  /**
   * Polygons are not exact pixel outlines: they were simplified with this Douglas–Peucker tolerance (px)
   * and/or had their holes filled. The exporter still writes `bbox` and `area` from the MASK (so they
   * describe the object, not its approximation), while the checker can only rebuild a box from the
   * rasterised polygon. The rules for such polygons, and why:
   * - Simplification keeps a subset of the exact outline's vertices (pixel corners), so the box of the
   *   polygon's vertices never grows: it must lie inside the stored bbox, and so must the rasterised
   *   polygon's tight box.
   * - Douglas–Peucker drops a vertex only when it lies within `tolerance` of a segment between two kept
   *   vertices, so for each edge of the mask's box some kept vertex lies within `tolerance` of it: each
   *   edge of the vertex box is at most `tolerance` px inside the stored bbox. Filling holes never moves
   *   the outer outline, so with tolerance 0 the vertex box must be the bbox exactly.
   * - The bound is on the vertices, not on the rasterised pixels: where a thin part (a 2 px wide strip)
   *   is simplified to a sliver, the sliver covers no pixel centre and the raster's box can shrink by far
   *   more than the tolerance (seen with random masks), so no pixel slack tied to the tolerance holds.
   * - Filling holes only adds pixels, so with tolerance 0 the mask's area is at most the polygon's; with
   *   simplification there is no such bound, and the area is left to the tests that compare polygons
   *   with the stored masks pixel by pixel.
   */
  readonly approximatePolygons?: { readonly tolerance: number }
}

/** Every way `coco` breaks the rules; empty when it conforms. */
export function cocoViolations(coco: CocoFile, options: CocoCheckOptions = {}): string[] {
  const out: string[] = []
  for (const key of ['info', 'licenses', 'categories', 'images', 'annotations'] as const) {
    if (!(key in coco)) out.push(`missing top-level key ${key}`)
  }
  const categoryIds = new Set<number>()
  for (const c of coco.categories) {
    if (!Number.isInteger(c.id) || c.id < 1) out.push(`category ${c.name}: id ${c.id} is not a positive integer`)
    if (categoryIds.has(c.id)) out.push(`category id ${c.id} repeats`)
    categoryIds.add(c.id)
    if (typeof c.name !== 'string' || c.name === '') out.push(`category ${c.id}: empty name`)
    if (typeof c.supercategory !== 'string') out.push(`category ${c.id}: supercategory is not a string`)
  }
  const images = new Map<number, { width: number; height: number }>()
  for (const image of coco.images) {
    if (images.has(image.id)) out.push(`image id ${image.id} repeats`)
    if (!Number.isInteger(image.width) || !Number.isInteger(image.height) || image.width < 1 || image.height < 1) {
      out.push(`image ${image.id}: bad size ${image.width}x${image.height}`)
    }
    if (typeof image.file_name !== 'string' || image.file_name === '') out.push(`image ${image.id}: no file_name`)
    images.set(image.id, image)
  }
  const annotationIds = new Set<number>()
  for (const a of coco.annotations) {
    const where = `annotation ${a.id}`
    if (annotationIds.has(a.id)) out.push(`${where}: id repeats`)
    annotationIds.add(a.id)
    const image = images.get(a.image_id)
    if (!image) {
      out.push(`${where}: image ${a.image_id} is not in images`)
      continue
    }
    if (!categoryIds.has(a.category_id)) out.push(`${where}: category ${a.category_id} is not in categories`)
    if (a.iscrowd !== 0) out.push(`${where}: iscrowd is ${a.iscrowd}, not 0`)
    let runs: RleRuns
    if (Array.isArray(a.segmentation)) {
      for (const [k, ring] of a.segmentation.entries()) {
        if (ring.length % 2 !== 0 || ring.length < 6) out.push(`${where}: polygon ${k} has ${ring.length} coordinates`)
      }
      runs = frPolygons(a.segmentation, image.height, image.width)
    } else {
      const [h, w] = a.segmentation.size
      if (h !== image.height || w !== image.width) out.push(`${where}: RLE size [${h}, ${w}] is not [height, width] [${image.height}, ${image.width}]`)
      runs = decompress(a.segmentation)
    }
    const { area, tight } = measure(runs)
    if (area === 0) out.push(`${where}: empty mask`)
    const approximate = Array.isArray(a.segmentation) ? options.approximatePolygons : undefined
    if (approximate === undefined) {
      // RLE and exact polygons rasterise to the very mask the exporter measured: area and box must match.
      if (a.area !== area) out.push(`${where}: area ${a.area} but the mask has ${area} pixels`)
      if (a.bbox.join() !== tight.join()) out.push(`${where}: bbox ${a.bbox.join()} is not the tight box ${tight.join()}`)
    } else {
      if (approximate.tolerance === 0 && a.area > area) out.push(`${where}: area ${a.area} but the hole-filled polygon has only ${area} pixels`)
      const vertices = vertexBox(a.segmentation as number[][])
      const vertexProblem = boxWithin(a.bbox, vertices, approximate.tolerance)
      if (vertexProblem !== null) out.push(`${where}: bbox ${a.bbox.join()}, polygon vertices' box ${vertices.join()}: ${vertexProblem}`)
      const rasterProblem = area === 0 ? null : boxWithin(a.bbox, tight, Infinity)
      if (rasterProblem !== null) out.push(`${where}: bbox ${a.bbox.join()}, rasterised polygon's tight box ${tight.join()}: ${rasterProblem}`)
    }
  }
  return out
}

type Box = [number, number, number, number]

// Pixel count and tight box of a mask, counted pixel by pixel here rather than with the exporter's helpers.
function measure(runs: RleRuns): { area: number; tight: Box } {
  const pixels = decode(runs) // column-major
  const [h, w] = runs.size
  let area = 0
  let x0 = Infinity
  let y0 = Infinity
  let x1 = -1
  let y1 = -1
  for (let x = 0; x < w; x++) {
    for (let y = 0; y < h; y++) {
      if (pixels[x * h + y] === 0) continue
      area++
      x0 = Math.min(x0, x)
      y0 = Math.min(y0, y)
      x1 = Math.max(x1, x)
      y1 = Math.max(y1, y)
    }
  }
  return { area, tight: area === 0 ? [0, 0, 0, 0] : [x0, y0, x1 - x0 + 1, y1 - y0 + 1] }
}

// The box [x, y, width, height] of polygon vertices, in the pixel-corner coordinates polygons use.
function vertexBox(rings: readonly (readonly number[])[]): Box {
  let x0 = Infinity
  let y0 = Infinity
  let x1 = -Infinity
  let y1 = -Infinity
  for (const ring of rings) {
    for (let i = 0; i + 1 < ring.length; i += 2) {
      x0 = Math.min(x0, ring[i]!)
      x1 = Math.max(x1, ring[i]!)
      y0 = Math.min(y0, ring[i + 1]!)
      y1 = Math.max(y1, ring[i + 1]!)
    }
  }
  return [x0, y0, x1 - x0, y1 - y0]
}

// Why the `inner` box is not inside `outer` with each edge at most `slack` px in from outer's; null when it is.
function boxWithin(outer: readonly number[], inner: Box, slack: number): string | null {
  const [ox, oy, ow, oh] = outer as Box
  const [ix, iy, iw, ih] = inner
  const insets = { left: ix - ox, top: iy - oy, right: ox + ow - (ix + iw), bottom: oy + oh - (iy + ih) }
  for (const [side, inset] of Object.entries(insets)) {
    if (inset < 0) return `the ${side} edge sticks out of the bbox by ${-inset} px`
    if (inset > slack) return `the ${side} edge is ${inset} px inside the bbox, more than the tolerance ${slack}`
  }
  return null
}

/** One entry of a COCO results file (detections for evaluation), as the checks read it. */
export interface CocoResult {
  image_id: number
  category_id: number
  segmentation: { size: [number, number]; counts: string }
  bbox?: [number, number, number, number]
  score: number
}

/**
 * Every way a COCO results file breaks what COCO.loadRes and COCOeval rely on, checked against the
 * instances file it goes with: each entry names an image and a category of that file, carries an RLE of
 * its image's size [height, width] covering at least one pixel, a score in [0, 1], and (if it has one) a
 * bbox tight to its mask. Empty when it conforms.
 */
export function cocoResultsViolations(results: unknown, coco: CocoFile): string[] {
  if (!Array.isArray(results)) return ['results is not a list']
  const out: string[] = []
  const images = new Map(coco.images.map((i) => [i.id, i]))
  const categoryIds = new Set(coco.categories.map((c) => c.id))
  for (const [k, r] of (results as CocoResult[]).entries()) {
    const where = `result ${k}`
    const image = images.get(r.image_id)
    if (image === undefined) out.push(`${where}: image ${r.image_id} is not in images`)
    if (!categoryIds.has(r.category_id)) out.push(`${where}: category ${r.category_id} is not in categories`)
    if (typeof r.score !== 'number' || !Number.isFinite(r.score) || r.score < 0 || r.score > 1) out.push(`${where}: score ${String(r.score)} is not a number in [0, 1]`)
    const seg = r.segmentation as unknown
    if (typeof seg !== 'object' || seg === null || Array.isArray(seg) || typeof r.segmentation.counts !== 'string' || !Array.isArray(r.segmentation.size)) {
      out.push(`${where}: segmentation is not a compressed RLE`)
      continue
    }
    const [h, w] = r.segmentation.size
    if (image !== undefined && (h !== image.height || w !== image.width)) {
      out.push(`${where}: RLE size [${h}, ${w}] is not [height, width] [${image.height}, ${image.width}]`)
      continue
    }
    const { area, tight } = measure(decompress(r.segmentation))
    if (area === 0) out.push(`${where}: empty mask`)
    else if (r.bbox !== undefined && r.bbox.join() !== tight.join()) out.push(`${where}: bbox ${r.bbox.join()} is not the tight box ${tight.join()}`)
  }
  return out
}
