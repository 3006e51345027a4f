/**
 * Polygon rings from a mask, traced along pixel edges so that COCO readers rasterise them back to the
 * very same pixels.
 *
 * Written here rather than taken from npm: the JS contour tracers there (marching squares, d3-contour)
 * put vertices at pixel centres or interpolate between them, which loses half a pixel on every side under
 * pycocotools' rasteriser, and none of them keeps holes in a form COCO polygons can carry.
 *
 * Conventions, checked against pycocotools' rleFrPoly (see test/main/interop/mask-contours.test.ts):
 * - pixel (x, y) covers the square [x, x+1] × [y, y+1]; vertices sit on integer pixel corners, which
 *   rleFrPoly rasterises exactly and with 0.4 px of slack either way (so normalised YOLO coordinates
 *   survive their rounding);
 * - foreground is 4-connected (pixels touching only at a corner are separate parts), holes 8-connected.
 *
 * Holes. rleFrPoly fills each ring with the even-odd rule, column by column, and only edges that change
 * column count. A ring made of the outer boundary, a vertical cut down to a hole, the hole's boundary
 * and the same cut back up therefore rasterises to the outer region minus the hole: the cut adds no
 * crossing. The cut starts at the hole's top-left corner and goes straight up to the first boundary
 * above it, so it only passes through the object's own pixels and stays short.
 */
import { decodeRegion, toBbox, type RleRuns } from '../masks/rle'

/** How a polygon export treats holes. */
export type HoleMode = 'subtract' | 'drop'

/** The rings of one mask, in image pixel-corner coordinates `[x0, y0, x1, y1, …]`. */
export interface MaskPolygons {
  /** One ring per 4-connected part; with holes subtracted, each part's holes are cut into its ring. */
  readonly rings: number[][]
  /** Which vertices (by index into each ring's points) must survive simplification: the cut ends. */
  readonly pinned: ReadonlySet<number>[]
  /** Number of 4-connected parts. */
  readonly parts: number
  /** Number of holes (8-connected background regions enclosed by the mask). */
  readonly holes: number
}

const DX = [1, 0, -1, 0] as const
const DY = [0, 1, 0, -1] as const

/** Traces a mask into polygon rings; an empty mask gives no ring. */
export function traceMask(runs: RleRuns, holeMode: HoleMode = 'subtract'): MaskPolygons {
  const [bx, by, bw, bh] = toBbox(runs)
  if (bw === 0 || bh === 0) return { rings: [], pinned: [], parts: 0, holes: 0 }
  const pixels = decodeRegion(runs, { x: bx, y: by, width: bw, height: bh })
  return traceRegion(pixels, bw, bh, bx, by, holeMode)
}

/**
 * Traces a row-major 0/1 region of `width` × `height` pixels whose top-left pixel is (`originX`,
 * `originY`) in the image.
 */
export function traceRegion(
  pixels: Uint8Array,
  width: number,
  height: number,
  originX: number,
  originY: number,
  holeMode: HoleMode = 'subtract'
): MaskPolygons {
  const graph = new RingGraph()
  const outers: number[] = []
  const holes: { top: number }[] = []
  for (const ring of traceRings(pixels, width, height, graph)) {
    if (ring.signedArea > 0) outers.push(ring.start)
    else holes.push({ top: ring.topLeft })
  }
  if (holeMode === 'subtract' && holes.length > 0) {
    // Top to bottom: whatever a hole's cut meets above it is either its part's outer boundary or a hole
    // higher up, which has been cut into that boundary already.
    holes.sort((a, b) => graph.y[a.top]! - graph.y[b.top]! || graph.x[a.top]! - graph.x[b.top]!)
    for (const hole of holes) cutHole(graph, hole.top, pixels, width)
  }
  const rings: number[][] = []
  const pinned: Set<number>[] = []
  for (const start of outers) {
    const ring = graph.collect(start, originX, originY)
    rings.push(ring.points)
    pinned.push(ring.pinned)
  }
  return { rings, pinned, parts: outers.length, holes: holes.length }
}

/** Vertices as a linked structure, so cuts can be spliced in without copying rings. */
class RingGraph {
  readonly x: number[] = []
  readonly y: number[] = []
  readonly next: number[] = []
  readonly pin: boolean[] = []
  /** Nodes that start a horizontal edge, by the edge's y: where a cut going up can land. */
  readonly horizontal = new Map<number, number[]>()

  add(x: number, y: number, pin = false): number {
    const id = this.x.length
    this.x.push(x)
    this.y.push(y)
    this.next.push(id)
    this.pin.push(pin)
    return id
  }

  indexHorizontal(node: number): void {
    const to = this.next[node]!
    if (this.y[node] !== this.y[to] || this.x[node] === this.x[to]) return
    const y = this.y[node]!
    let list = this.horizontal.get(y)
    if (list === undefined) this.horizontal.set(y, (list = []))
    list.push(node)
  }

  /** The ring from `start` as absolute coordinates, without repeated or collinear pass-through vertices. */
  collect(start: number, originX: number, originY: number): { points: number[]; pinned: Set<number> } {
    const xs: number[] = []
    const ys: number[] = []
    const pins: boolean[] = []
    let node = start
    do {
      const x = this.x[node]! + originX
      const y = this.y[node]! + originY
      const last = xs.length - 1
      if (last >= 0 && xs[last] === x && ys[last] === y) pins[last] = pins[last]! || this.pin[node]!
      else {
        xs.push(x)
        ys.push(y)
        pins.push(this.pin[node]!)
      }
      node = this.next[node]!
    } while (node !== start)
    if (xs.length > 1 && xs[0] === xs[xs.length - 1] && ys[0] === ys[ys.length - 1]) {
      pins[0] = pins[0]! || pins[pins.length - 1]!
      xs.pop()
      ys.pop()
      pins.pop()
    }
    // Drop vertices in the middle of a straight run; keep turns, reversals (cuts) and pinned vertices.
    const n = xs.length
    const keep: number[] = []
    for (let i = 0; i < n; i++) {
      const p = (i + n - 1) % n
      const q = (i + 1) % n
      const ax = xs[i]! - xs[p]!
      const ay = ys[i]! - ys[p]!
      const bx = xs[q]! - xs[i]!
      const by = ys[q]! - ys[i]!
      const straight = ax * by - ay * bx === 0 && ax * bx + ay * by > 0
      if (!straight || pins[i] || n <= 3) keep.push(i)
    }
    const points: number[] = []
    const pinned = new Set<number>()
    for (const i of keep) {
      if (pins[i]) pinned.add(points.length >>> 1)
      points.push(xs[i]!, ys[i]!)
    }
    return { points, pinned }
  }
}

interface TracedRing {
  readonly start: number
  readonly topLeft: number
  readonly signedArea: number
}

// Follows every boundary edge once. Edges run with the foreground on their right (y pointing down), so
// outer boundaries come out clockwise on screen (positive area) and holes anticlockwise.
function traceRings(pixels: Uint8Array, width: number, height: number, graph: RingGraph): TracedRing[] {
  const vw = width + 1
  const out = new Uint8Array(vw * (height + 1))
  // A copy with a one-pixel background border, so neighbours need no bounds checks.
  const pw = width + 2
  const padded = new Uint8Array(pw * (height + 2))
  for (let y = 0; y < height; y++) padded.set(pixels.subarray(y * width, (y + 1) * width), (y + 1) * pw + 1)
  for (let y = 0; y < height; y++) {
    for (let x = 0, p = (y + 1) * pw + 1; x < width; x++, p++) {
      if (padded[p] === 0) continue
      if (padded[p - pw] === 0) out[y * vw + x]! |= 1 // top side, going right
      if (padded[p + 1] === 0) out[y * vw + x + 1]! |= 2 // right side, going down
      if (padded[p + pw] === 0) out[(y + 1) * vw + x + 1]! |= 4 // bottom side, going left
      if (padded[p - 1] === 0) out[(y + 1) * vw + x]! |= 8 // left side, going up
    }
  }
  const used = new Uint8Array(out.length)
  const rings: TracedRing[] = []
  for (let v0 = 0; v0 < out.length; v0++) {
    let free = out[v0]! & ~used[v0]!
    while (free !== 0) {
      const d0 = 31 - Math.clz32(free & -free)
      rings.push(traceOne(v0, d0, vw, out, used, graph))
      free = out[v0]! & ~used[v0]!
    }
  }
  return rings
}

function traceOne(v0: number, d0: number, vw: number, out: Uint8Array, used: Uint8Array, graph: RingGraph): TracedRing {
  let v = v0
  let d = d0
  let x = v0 % vw
  let y = (v0 - x) / vw
  const first = graph.x.length
  let area2 = 0
  let px = -1
  let py = -1
  let top = -1
  for (;;) {
    used[v]! |= 1 << d
    x += DX[d]!
    y += DY[d]!
    v = y * vw + x
    const bits = out[v]!
    // Prefer turning right: it keeps hugging the same pixel, so parts touching at a corner stay apart.
    const right = (d + 1) & 3
    const left = (d + 3) & 3
    const nd = bits & (1 << right) ? right : bits & (1 << d) ? d : left
    if (nd !== d) {
      const node = graph.add(x, y)
      if (px >= 0) area2 += px * y - x * py
      px = x
      py = y
      if (top < 0 || y < graph.y[top]! || (y === graph.y[top]! && x < graph.x[top]!)) top = node
    }
    if (v === v0 && nd === d0) break
    d = nd
  }
  const last = graph.x.length - 1
  for (let node = first; node < last; node++) graph.next[node] = node + 1
  graph.next[last] = first
  area2 += graph.x[last]! * graph.y[first]! - graph.x[first]! * graph.y[last]!
  for (let node = first; node <= last; node++) graph.indexHorizontal(node)
  // The start vertex is met last; starting the ring there makes outlines begin at their top-left corner.
  const start = graph.x[last] === v0 % vw && graph.y[last] === Math.floor(v0 / vw) ? last : first
  return { start, topLeft: top, signedArea: area2 / 2 }
}

// Splices the hole whose top-left corner is `top` into whatever boundary lies straight above its top-left corner `top`.
function cutHole(graph: RingGraph, top: number, pixels: Uint8Array, width: number): void {
  const tx = graph.x[top]!
  // Both pixels beside the cut line are the object's up to the first boundary: walk up to it.
  let y = graph.y[top]! - 1
  while (y >= 0 && pixels[y * width + tx - 1] !== 0 && pixels[y * width + tx] !== 0) y--
  const hy = y + 1
  const candidates = graph.horizontal.get(hy) ?? []
  const a = candidates.find((node) => {
    const x0 = graph.x[node]!
    const x1 = graph.x[graph.next[node]!]!
    return Math.min(x0, x1) <= tx && tx <= Math.max(x0, x1)
  })
  if (a === undefined) throw new Error(`mask contours: no boundary above the hole at (${tx}, ${graph.y[top]})`)
  let beforeTop = top
  while (graph.next[beforeTop] !== top) beforeTop = graph.next[beforeTop]!
  const b = graph.next[a]!
  const h1 = graph.add(tx, hy, true)
  const h2 = graph.add(tx, hy, true)
  const t2 = graph.add(tx, graph.y[top]!, true)
  graph.pin[top] = true
  // a → h1 ↓ top … beforeTop → t2 ↑ h2 → b
  graph.next[a] = h1
  graph.next[h1] = top
  graph.next[beforeTop] = t2
  graph.next[t2] = h2
  graph.next[h2] = b
  graph.indexHorizontal(h2)
}
