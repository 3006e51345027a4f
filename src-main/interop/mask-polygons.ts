/**
 * Masks as polygons for the polygon formats (COCO polygons, labelme, YOLO-seg): tracing, simplification,
 * joining an instance's parts into one ring for formats that allow one polygon per object, and a check
 * of how faithfully the polygons rasterise back to the mask.
 */
import { area, frPolygons, iou, type RleRuns } from '../masks/rle'
import { traceMask, type HoleMode } from './mask-contours'

/** How masks become polygons. */
export interface PolygonOptions {
  readonly holes: HoleMode
  /** Douglas–Peucker tolerance in pixels; 0 keeps the exact pixel outline. */
  readonly tolerance: number
}

/** One instance's polygons and what they kept of the mask. */
export interface InstancePolygons {
  /** Rings `[x0, y0, x1, y1, …]` in pixel-corner coordinates, one per part. */
  readonly rings: number[][]
  readonly parts: number
  readonly holes: number
  /** Pinned vertex indices per ring (cut ends), which joining and simplification keep. */
  readonly pinned: readonly ReadonlySet<number>[]
}

/** Traces and simplifies a mask; an empty mask gives no ring. */
export function maskToPolygons(runs: RleRuns, options: PolygonOptions): InstancePolygons {
  const traced = traceMask(runs, options.holes)
  if (options.tolerance <= 0) return traced
  const rings = traced.rings.map((ring, i) => simplifyRing(ring, traced.pinned[i]!, options.tolerance))
  // Simplification drops the pins' indices; what is left is only joined, never simplified again.
  return { ...traced, rings, pinned: rings.map(() => new Set<number>()) }
}

/**
 * Intersection over union between a mask and its polygons as pycocotools rasterises them; 1 when they
 * are the same pixels.
 */
export function polygonFidelity(runs: RleRuns, rings: readonly (readonly number[])[]): number {
  const [h, w] = runs.size
  if (rings.length === 0) return area(runs) === 0 ? 1 : 0
  const back = frPolygons(rings, h, w)
  return iou([back], [runs], [0])[0]![0]!
}

/**
 * Joins rings into one, for formats with one polygon per object (YOLO-seg). Each further ring is
 * reached by a segment from the nearest vertex of what is joined so far, walked there and back: under
 * the even-odd fill of COCO, OpenCV's fillPoly and PIL, a segment walked both ways adds nothing, so
 * the joined ring covers the same pixels as the rings did (the way ultralytics joins COCO parts).
 */
export function joinRings(rings: readonly (readonly number[])[]): number[] {
  if (rings.length === 0) return []
  let joined = [...rings[0]!]
  for (let r = 1; r < rings.length; r++) {
    const ring = rings[r]!
    const px = ring[0]!
    const py = ring[1]!
    let best = 0
    let bestDistance = Infinity
    for (let i = 0; i < joined.length; i += 2) {
      const d = (joined[i]! - px) ** 2 + (joined[i + 1]! - py) ** 2
      if (d < bestDistance) {
        bestDistance = d
        best = i
      }
    }
    // … q, p, (rest of ring), p, q, (rest of joined) …
    const q = joined.slice(best, best + 2)
    joined = [...joined.slice(0, best + 2), ...ring, px, py, ...q, ...joined.slice(best + 2)]
  }
  return joined
}

/**
 * Douglas–Peucker on a closed ring. Pinned vertices stay (the ends of hole cuts: moving one would open
 * the cut); a ring that would fall below three vertices is kept as it was.
 */
export function simplifyRing(ring: readonly number[], pinned: ReadonlySet<number>, tolerance: number): number[] {
  const n = ring.length >>> 1
  if (n <= 3) return [...ring]
  const anchors = [...pinned].sort((a, b) => a - b)
  if (anchors.length === 0) anchors.push(0)
  if (anchors.length === 1) {
    // A closed ring needs two anchors: the pinned one and the vertex farthest from it.
    const a = anchors[0]!
    let far = a
    let farDistance = -1
    for (let i = 0; i < n; i++) {
      const d = (ring[2 * i]! - ring[2 * a]!) ** 2 + (ring[2 * i + 1]! - ring[2 * a + 1]!) ** 2
      if (d > farDistance) {
        farDistance = d
        far = i
      }
    }
    if (far !== a) anchors.push(far)
    anchors.sort((x, y) => x - y)
  }
  const keep = new Uint8Array(n)
  for (const a of anchors) keep[a] = 1
  const tolerance2 = tolerance * tolerance
  for (let k = 0; k < anchors.length; k++) {
    const from = anchors[k]!
    const to = k + 1 < anchors.length ? anchors[k + 1]! : anchors[0]! + n
    simplifySpan(ring, n, from, to, tolerance2, keep)
  }
  const out: number[] = []
  for (let i = 0; i < n; i++) if (keep[i]) out.push(ring[2 * i]!, ring[2 * i + 1]!)
  return out.length >= 6 ? out : [...ring]
}

// Iterative Douglas–Peucker over vertices from..to (indices taken modulo n, so a span may wrap).
function simplifySpan(ring: readonly number[], n: number, from: number, to: number, tolerance2: number, keep: Uint8Array): void {
  const stack: [number, number][] = [[from, to]]
  while (stack.length > 0) {
    const [a, b] = stack.pop()!
    if (b - a < 2) continue
    const ax = ring[2 * (a % n)]!
    const ay = ring[2 * (a % n) + 1]!
    const bx = ring[2 * (b % n)]!
    const by = ring[2 * (b % n) + 1]!
    let worst = -1
    let worstDistance = -1
    for (let i = a + 1; i < b; i++) {
      const d = segmentDistance2(ring[2 * (i % n)]!, ring[2 * (i % n) + 1]!, ax, ay, bx, by)
      if (d > worstDistance) {
        worstDistance = d
        worst = i
      }
    }
    if (worstDistance > tolerance2) {
      keep[worst % n] = 1
      stack.push([a, worst], [worst, b])
    }
  }
}

function segmentDistance2(px: number, py: number, ax: number, ay: number, bx: number, by: number): number {
  const dx = bx - ax
  const dy = by - ay
  const length2 = dx * dx + dy * dy
  let t = length2 === 0 ? 0 : ((px - ax) * dx + (py - ay) * dy) / length2
  t = Math.max(0, Math.min(1, t))
  const x = ax + t * dx - px
  const y = ay + t * dy - py
  return x * x + y * y
}
