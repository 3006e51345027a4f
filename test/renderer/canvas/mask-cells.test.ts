// @vitest-environment happy-dom
import { describe, expect, test } from 'vitest'
import { compress, encodeRowMajor, toBbox } from '../../../src-main/masks/rle'
import { BOUNDARY, INSIDE, MaskCells, OUTSIDE } from '../../../src-renderer/src/canvas/mask-cells'
import { maskStyle, paintCells } from '../../../src-renderer/src/canvas/mask-style'

/** A compressed RLE of an h×w image whose foreground is the rectangle [x0, x1) × [y0, y1). */
function rectangle(h: number, w: number, x0: number, y0: number, x1: number, y1: number) {
  const mask = new Uint8Array(h * w)
  for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) mask[y * w + x] = 1
  const rle = compress(encodeRowMajor(mask, h, w))
  return { rle, bbox: toBbox(rle) }
}

describe('MaskCells', () => {
  test('decodes only the bbox region and marks the one-pixel rim as boundary', () => {
    const { rle, bbox } = rectangle(20, 30, 5, 4, 9, 8)
    const cells = MaskCells.fromRle(rle, bbox)
    expect([cells.x, cells.y, cells.cols, cells.rows, cells.step]).toEqual([5, 4, 4, 4, 1])
    // prettier-ignore
    expect([...cells.codes]).toEqual([
      BOUNDARY, BOUNDARY, BOUNDARY, BOUNDARY,
      BOUNDARY, INSIDE, INSIDE, BOUNDARY,
      BOUNDARY, INSIDE, INSIDE, BOUNDARY,
      BOUNDARY, BOUNDARY, BOUNDARY, BOUNDARY
    ])
    expect(cells.contains({ x: 6.5, y: 5.2 })).toBe(true)
    expect(cells.contains({ x: 9.1, y: 5 })).toBe(false)
    expect(cells.codes.includes(OUTSIDE)).toBe(false)
  })

  test('a huge object is sampled on a coarser grid that never exceeds the cell budget', () => {
    const { rle, bbox } = rectangle(400, 600, 0, 0, 600, 400)
    const cells = MaskCells.fromRle(rle, bbox, 10_000)
    expect(cells.step).toBe(5)
    expect(cells.cols * cells.rows).toBeLessThanOrEqual(10_000)
    expect([cells.cols, cells.rows]).toEqual([120, 80])
    expect(cells.contains({ x: 599, y: 399 })).toBe(true)
  })

  test('painting fills inside cells with the fill colour and boundary cells with an opaque outline', () => {
    const { rle, bbox } = rectangle(10, 10, 2, 2, 5, 5)
    const cells = MaskCells.fromRle(rle, bbox)
    const pixels = new Uint32Array(cells.cols * cells.rows)
    paintCells(cells, maskStyle('#ff0000', 'accepted', 'none'), pixels)
    const centre = pixels[4]!
    const rim = pixels[0]!
    expect(centre & 0xff).toBe(255)
    expect(centre >>> 24).toBe(Math.round(0.38 * 255))
    expect(rim >>> 24).toBe(255)
  })
})
