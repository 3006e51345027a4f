import { errorMessage } from '../common/errors'
import { decompress, fromUncompressed, frPolygons, type RleRuns } from '../masks/rle'

/** A COCO segmentation read into runs, or the reason it cannot be. */
export type SegmentationResult = { readonly runs: RleRuns } | { readonly problem: string }

/** Checks polygon rings as COCO stores them; answers the reason they are unusable, or null. */
export function checkRings(rings: unknown, what = 'polygon'): string | null {
  if (!Array.isArray(rings) || rings.length === 0) return `a ${what} list needs at least one ${what}`
  for (let k = 0; k < rings.length; k++) {
    const ring: unknown = rings[k]
    if (!Array.isArray(ring)) return `${what} ${k} is not a list of coordinates`
    for (let j = 0; j < ring.length; j++) {
      const v: unknown = ring[j]
      if (typeof v !== 'number' || !Number.isFinite(v)) return `${what} ${k}: coordinate ${j} is not a number (${JSON.stringify(v)})`
    }
    if (ring.length % 2 !== 0) return `${what} ${k} has an odd number of coordinates (${ring.length})`
    // pycocotools reads a first ring of 4 numbers as a box, not a polygon: refuse rather than disagree.
    if (ring.length < 6) return `${what} ${k} has ${ring.length / 2} point(s); a polygon needs at least 3`
  }
  return null
}

/**
 * Reads a COCO `segmentation` (polygon list, compressed RLE, or uncompressed RLE as crowd regions have)
 * for an image of `height` × `width` in the file's frame, rasterising polygons exactly as pycocotools.
 */
export function readSegmentation(segmentation: unknown, height: number, width: number): SegmentationResult {
  if (Array.isArray(segmentation)) {
    const problem = checkRings(segmentation)
    if (problem !== null) return { problem }
    try {
      return { runs: frPolygons(segmentation as number[][], height, width) }
    } catch (error) {
      return { problem: errorMessage(error) }
    }
  }
  if (typeof segmentation !== 'object' || segmentation === null) {
    return { problem: `segmentation must be a polygon list or an RLE object, got ${describe(segmentation)}` }
  }
  const rle = segmentation as { size?: unknown; counts?: unknown }
  if (rle.size === undefined) return { problem: 'RLE segmentation is missing key "size"' }
  if (rle.counts === undefined) return { problem: 'RLE segmentation is missing key "counts"' }
  const size = rle.size
  if (!Array.isArray(size) || size.length !== 2 || !size.every((v) => Number.isInteger(v))) {
    return { problem: `RLE size must be [height, width], got ${JSON.stringify(size)}` }
  }
  if (size[0] !== height || size[1] !== width) {
    return { problem: `RLE size [${size[0]}, ${size[1]}] disagrees with the image's [height, width] [${height}, ${width}]` }
  }
  try {
    if (typeof rle.counts === 'string') return { runs: decompress({ size: [height, width], counts: rle.counts }) }
    if (Array.isArray(rle.counts)) return { runs: fromUncompressed({ size: [height, width], counts: rle.counts as number[] }) }
  } catch (error) {
    return { problem: `RLE ${errorMessage(error).replace(/^rle\./, '')}` }
  }
  return { problem: `RLE counts must be a string or a list of numbers, got ${describe(rle.counts)}` }
}

function describe(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'a list'
  return typeof value === 'string' ? `the string ${JSON.stringify(value.slice(0, 40))}` : typeof value
}
