import { decodeRegion, type Rle } from '../../../src-main/masks/rle'
import type { Point } from './mode'

/**
 * Most cells one mask bitmap holds (2048²). An object larger than that in a huge image is drawn on a
 * coarser grid, so no mask ever needs a buffer near the image's full size.
 */
export const MAX_MASK_CELLS = 2048 * 2048

// Source pixels decoded per strip when sampling a coarse grid: bounds the transient buffer too.
const STRIP_PIXELS = 8 * 1024 * 1024

/** Cell codes: outside the mask, inside it, or inside on its boundary (drawn as the outline). */
export const OUTSIDE = 0
/** A mask cell whose four neighbours are all inside. */
export const INSIDE = 1
/** A mask cell with a neighbour outside the mask or beyond the grid. */
export const BOUNDARY = 2

/**
 * One instance's mask, decoded over its bounding box only and classified into inside/boundary cells.
 * A cell is `step` image pixels wide (1 unless the object is huge).
 */
export class MaskCells {
  private constructor(
    /** Left edge of the grid, in image pixels. */
    readonly x: number,
    /** Top edge of the grid, in image pixels. */
    readonly y: number,
    /** Image pixels per cell along each axis. */
    readonly step: number,
    /** Cells per row. */
    readonly cols: number,
    /** Rows of cells. */
    readonly rows: number,
    /** Row-major cell codes (OUTSIDE, INSIDE, BOUNDARY). */
    readonly codes: Uint8Array
  ) {}

  /** Decodes the mask over its bbox (COCO `[x, y, w, h]`) at full resolution, or sampled when too large. */
  static fromRle(rle: Rle, bbox: readonly [number, number, number, number], maxCells = MAX_MASK_CELLS): MaskCells {
    const [h, w] = rle.size
    const x0 = Math.max(0, Math.floor(bbox[0]))
    const y0 = Math.max(0, Math.floor(bbox[1]))
    const x1 = Math.min(w, Math.ceil(bbox[0] + bbox[2]))
    const y1 = Math.min(h, Math.ceil(bbox[1] + bbox[3]))
    const width = Math.max(0, x1 - x0)
    const height = Math.max(0, y1 - y0)
    const step = Math.max(1, Math.ceil(Math.sqrt((width * height) / maxCells)))
    const cols = Math.ceil(width / step)
    const rows = Math.ceil(height / step)
    const cells =
      step === 1 ? decodeRegion(rle, { x: x0, y: y0, width, height }) : sampleRegion(rle, x0, y0, width, height, step, cols, rows)
    markBoundary(cells, cols, rows)
    return new MaskCells(x0, y0, step, cols, rows, cells)
  }

  /** Whether an image point lies on the mask. */
  contains(p: Point): boolean {
    const cx = Math.floor((p.x - this.x) / this.step)
    const cy = Math.floor((p.y - this.y) / this.step)
    if (cx < 0 || cy < 0 || cx >= this.cols || cy >= this.rows) return false
    return this.codes[cy * this.cols + cx] !== OUTSIDE
  }
}

// Nearest sampling of every `step`-th pixel, decoding horizontal strips so the source buffer stays small.
function sampleRegion(rle: Rle, x0: number, y0: number, width: number, height: number, step: number, cols: number, rows: number): Uint8Array {
  const out = new Uint8Array(cols * rows)
  const stripRows = Math.max(step, Math.floor(STRIP_PIXELS / width / step) * step)
  for (let top = 0; top < height; top += stripRows) {
    const stripHeight = Math.min(stripRows, height - top)
    const strip = decodeRegion(rle, { x: x0, y: y0 + top, width, height: stripHeight })
    for (let sy = 0; sy < stripHeight; sy += step) {
      const row = (top + sy) / step
      const source = sy * width
      const target = row * cols
      for (let c = 0; c < cols; c++) out[target + c] = strip[source + c * step]!
    }
  }
  return out
}

// In place: foreground cells with a 4-neighbour outside the mask (or outside the grid) become BOUNDARY.
function markBoundary(cells: Uint8Array, cols: number, rows: number): void {
  for (let r = 0; r < rows; r++) {
    const row = r * cols
    for (let c = 0; c < cols; c++) {
      const i = row + c
      if (cells[i] === OUTSIDE) continue
      const edge =
        c === 0 ||
        r === 0 ||
        c === cols - 1 ||
        r === rows - 1 ||
        cells[i - 1] === OUTSIDE ||
        cells[i + 1] === OUTSIDE ||
        cells[i - cols] === OUTSIDE ||
        cells[i + cols] === OUTSIDE
      if (edge) cells[i] = BOUNDARY
    }
  }
}
