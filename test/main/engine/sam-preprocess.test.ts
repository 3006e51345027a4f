import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import sharp from 'sharp'
import { join } from 'node:path'
import {
  checkPrompt,
  readSamPixels,
  samImageTensor,
  samPromptArrays,
  samResizedSize,
  SAM_PIXEL_MEAN,
  SAM_PIXEL_STD
} from '../../../src-main/engine/interactive/sam-preprocess'
import { openImage } from '../../../src-main/images/open-image'
import type { Orientation } from '../../../src-main/images/orientation'
import { makeTempDir, put } from '../images/image-factory'
import { sceneRgb, storeWithOrientation } from './engine-fixtures'

describe('SAM resize', () => {
  it('scales the longest side to 1024 and rounds the other as SAM does', () => {
    expect(samResizedSize({ width: 640, height: 480 })).toEqual({ width: 1024, height: 768 })
    expect(samResizedSize({ width: 451, height: 300 })).toEqual({ width: 1024, height: 681 })
    expect(samResizedSize({ width: 300, height: 451 })).toEqual({ width: 681, height: 1024 })
    expect(samResizedSize({ width: 1, height: 1 })).toEqual({ width: 1024, height: 1024 })
    expect(samResizedSize({ width: 8000, height: 6000 })).toEqual({ width: 1024, height: 768 })
  })

  it('keeps at least one pixel on the short side of extreme strips', () => {
    expect(samResizedSize({ width: 20000, height: 1 })).toEqual({ width: 1024, height: 1 })
  })

  it('BAD CALL – sizes must be positive integers', () => {
    expect(() => samResizedSize({ width: 0, height: 5 })).toThrow(new RangeError('original: expected a positive integer width and height, got 0×5'))
  })
})

describe('SAM image tensor', () => {
  it('normalises each channel with ImageNet mean/std into planar layout, zero in the padding', () => {
    const rgb = Uint8Array.from([255, 0, 10, 20, 30, 40]) // two pixels in a row
    const t = samImageTensor(rgb, { width: 2, height: 1 }, 4)
    const plane = 16
    expect(t.length).toBe(3 * plane)
    expect(t[0]).toBeCloseTo((255 - SAM_PIXEL_MEAN[0]) / SAM_PIXEL_STD[0], 5)
    expect(t[1]).toBeCloseTo((20 - SAM_PIXEL_MEAN[0]) / SAM_PIXEL_STD[0], 5)
    expect(t[plane]).toBeCloseTo((0 - SAM_PIXEL_MEAN[1]) / SAM_PIXEL_STD[1], 5)
    expect(t[2 * plane + 1]).toBeCloseTo((40 - SAM_PIXEL_MEAN[2]) / SAM_PIXEL_STD[2], 5)
    // Right of and below the image: padding, which SAM adds after normalising.
    expect([t[2], t[3], t[4], t[plane + 15], t[2 * plane + 5]]).toEqual([0, 0, 0, 0, 0])
  })

  it('BAD CALL – pixel data that does not match the size', () => {
    expect(() => samImageTensor(new Uint8Array(5), { width: 2, height: 1 }, 4)).toThrow(
      new RangeError('rgb: expected 6 bytes for 2×1 RGB, got 5')
    )
  })
})

describe('SAM prompts', () => {
  const original = { width: 640, height: 480 }
  const resized = { width: 1024, height: 768 }

  it('turns a box into two corner points labelled 2 and 3, scaled to the 1024 frame', () => {
    const p = samPromptArrays({ box: [100, 50, 200, 100] }, original, resized)
    expect(p.count).toBe(2)
    expect(Array.from(p.coords)).toEqual([160, 80, 480, 240])
    expect(Array.from(p.labels)).toEqual([2, 3])
  })

  it('adds the padding point (0, 0) labelled −1 to points without a box', () => {
    const p = samPromptArrays({ points: [{ x: 10, y: 20, positive: true }, { x: 30, y: 40, positive: false }] }, original, resized)
    expect(p.count).toBe(3)
    expect(Array.from(p.coords)).toEqual([16, 32, 48, 64, 0, 0])
    expect(Array.from(p.labels)).toEqual([1, 0, -1])
  })

  it('puts points before the box corners when both are given', () => {
    const p = samPromptArrays({ box: [0, 0, 640, 480], points: [{ x: 320, y: 240, positive: false }] }, original, resized)
    expect(Array.from(p.labels)).toEqual([0, 2, 3])
    expect(Array.from(p.coords)).toEqual([512, 384, 0, 0, 1024, 768])
  })

  it('clips a box dragged past the edge of the image', () => {
    const p = samPromptArrays({ box: [-20, 400, 100, 200] }, original, resized)
    expect(Array.from(p.coords)).toEqual([0, 640, 128, 768])
  })

  it('BAD CALL – malformed prompts name the field', () => {
    expect(() => checkPrompt(null, original)).toThrow(new TypeError('prompt: expected an object with a box and/or points, got null'))
    expect(() => checkPrompt({}, original)).toThrow(new RangeError('prompt: needs a box, points, or both'))
    expect(() => checkPrompt({ box: [1, 2, 3] }, original)).toThrow(new TypeError('prompt.box: expected [x, y, width, height] of finite numbers'))
    expect(() => checkPrompt({ box: [1, 2, NaN, 4] }, original)).toThrow(new TypeError('prompt.box: expected [x, y, width, height] of finite numbers'))
    expect(() => checkPrompt({ box: [1, 2, 0, 4] }, original)).toThrow(new RangeError('prompt.box: width and height must be positive, got 0×4'))
    expect(() => checkPrompt({ box: [700, 2, 10, 4] }, original)).toThrow(new RangeError('prompt.box: [700, 2, 10, 4] lies outside the 640×480 image'))
    expect(() => checkPrompt({ points: [{ x: 1, y: '2', positive: true }] }, original)).toThrow(
      new TypeError('prompt.points[0]: expected {x, y} of finite numbers')
    )
    expect(() => checkPrompt({ points: [{ x: 1, y: 2 }] }, original)).toThrow(new TypeError('prompt.points[0].positive: expected a boolean'))
    expect(() => checkPrompt({ points: [{ x: 1, y: 2, positive: false }] }, original)).toThrow(
      new RangeError('prompt.points: needs at least one positive point when there is no box')
    )
  })
})

describe('SAM pixels from image files', () => {
  let dir: Awaited<ReturnType<typeof makeTempDir>>
  beforeAll(async () => {
    dir = await makeTempDir('rose-sam-pixels-')
  })
  afterAll(() => dir.dispose())

  it('decodes every EXIF orientation to the same oriented pixels when shrinking', async () => {
    // An asymmetric scene larger than 1024, so SAM's resize shrinks it.
    const rgb = await sceneRgb(1600, 1200, '#202060', [
      { kind: 'rect', x: 100, y: 100, width: 400, height: 250, fill: '#ff0000' },
      { kind: 'rect', x: 1000, y: 750, width: 500, height: 350, fill: '#00ff00' }
    ])
    const reference = await readSamPixels(await openImage(await storeWithOrientation(rgb, 1600, 1200, 1)))
    expect(reference.resized).toEqual({ width: 1024, height: 768 })
    for (const orientation of [2, 3, 4, 5, 6, 7, 8] as Orientation[]) {
      const opened = await openImage(await storeWithOrientation(rgb, 1600, 1200, orientation))
      expect([opened.orientation, opened.width, opened.height]).toEqual([orientation, 1600, 1200])
      const pixels = await readSamPixels(opened)
      expect(maxDifference(pixels.rgb, reference.rgb)).toBeLessThanOrEqual(2)
    }
  })

  it('lands every EXIF orientation within one pixel of the 1024 frame when enlarging', async () => {
    // libvips enlarges with a phase that mirrors with the image: flipped or turned inputs come out
    // shifted by one pixel of the 1024 frame (1/16 of a pixel of this 64×48 image), never more.
    const rgb = await sceneRgb(64, 48, '#202060', [{ kind: 'rect', x: 4, y: 4, width: 16, height: 10, fill: '#ff0000' }])
    for (const orientation of [1, 2, 3, 4, 5, 6, 7, 8] as Orientation[]) {
      const file = await put(join(dir.path, `o${orientation}.png`), await storeWithOrientation(rgb, 64, 48, orientation))
      const { rgb: pixels } = await readSamPixels(await openImage(file))
      // The red block spans 4..20 × 4..14 of the image, i.e. 64..320 × 64..224 of the 1024 frame.
      const [left, right] = redExtent(pixels, (x) => (9 * 16 * 1024 + x) * 3, 1024)
      const [top, bottom] = redExtent(pixels, (y) => (y * 1024 + 160) * 3, 768)
      expect(Math.abs(left - 64) + Math.abs(right - 319)).toBeLessThanOrEqual(2)
      expect(Math.abs(top - 64) + Math.abs(bottom - 223)).toBeLessThanOrEqual(2)
    }
  })

  it('gives 3 × 8-bit RGB for grayscale, 16-bit and alpha images', async () => {
    const gray = await put(join(dir.path, 'gray.png'), await sharp({ create: { width: 8, height: 4, channels: 3, background: '#808080' } }).toColourspace('b-w').png().toBuffer())
    const deep = await put(
      join(dir.path, 'deep.png'),
      await sharp({ create: { width: 8, height: 4, channels: 3, background: '#ff8000' } }).toColourspace('rgb16').png().toBuffer()
    )
    const alpha = await put(join(dir.path, 'alpha.png'), await sharp({ create: { width: 8, height: 4, channels: 4, background: { r: 0, g: 0, b: 255, alpha: 1 } } }).png().toBuffer())
    for (const [file, expected] of [
      [gray, [128, 128, 128]],
      [deep, [255, 128, 0]],
      [alpha, [0, 0, 255]]
    ] as const) {
      const opened = await openImage(file)
      const { rgb, resized } = await readSamPixels(opened)
      expect(resized).toEqual({ width: 1024, height: 512 })
      expect(rgb.length).toBe(1024 * 512 * 3)
      const mid = (256 * 1024 + 512) * 3
      expect(Math.abs(rgb[mid]! - expected[0]) + Math.abs(rgb[mid + 1]! - expected[1]) + Math.abs(rgb[mid + 2]! - expected[2])).toBeLessThanOrEqual(3)
    }
  })
})

function maxDifference(a: Uint8Array, b: Uint8Array): number {
  let max = 0
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]! - b[i]!))
  return max
}

// First and last index along a line where the pixel is red.
function redExtent(rgb: Uint8Array, offset: (i: number) => number, length: number): [number, number] {
  let first = -1
  let last = -1
  for (let i = 0; i < length; i++) {
    const o = offset(i)
    if (rgb[o]! > 128 && rgb[o + 2]! < 128) {
      if (first < 0) first = i
      last = i
    }
  }
  return [first, last]
}
