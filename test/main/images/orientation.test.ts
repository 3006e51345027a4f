import sharp from 'sharp'
import { describe, expect, it } from 'vitest'
import { openImage } from '../../../src-main/images/open-image'
import {
  normalizeOrientation,
  orientedSize,
  storedToOriented,
  swapsAxes,
  type Orientation
} from '../../../src-main/images/orientation'

const ORIENTATIONS: readonly Orientation[] = [1, 2, 3, 4, 5, 6, 7, 8]

describe('orientation rule', () => {
  it('swaps width and height exactly for orientations 5 to 8', () => {
    expect(ORIENTATIONS.filter(swapsAxes)).toEqual([5, 6, 7, 8])
    expect(orientedSize({ width: 40, height: 30 }, 6)).toEqual({ width: 30, height: 40 })
    expect(orientedSize({ width: 40, height: 30 }, 3)).toEqual({ width: 40, height: 30 })
  })

  it('treats missing and out-of-range tags as orientation 1', () => {
    expect([undefined, 0, 9, 2.5, '6'].map(normalizeOrientation)).toEqual([1, 1, 1, 1, 1])
    expect(normalizeOrientation(8)).toBe(8)
  })

  it('moves the stored top-left pixel where the EXIF definitions say', () => {
    const stored = { width: 4, height: 3 }
    // 6 = "rotate 90° clockwise to display": the stored top-left ends at the top-right.
    expect(storedToOriented(0, 0, stored, 6)).toEqual({ x: 2, y: 0 })
    // 8 = "rotate 90° counter-clockwise": it ends at the bottom-left.
    expect(storedToOriented(0, 0, stored, 8)).toEqual({ x: 0, y: 3 })
    expect(storedToOriented(0, 0, stored, 3)).toEqual({ x: 3, y: 2 })
    expect(storedToOriented(0, 0, stored, 2)).toEqual({ x: 3, y: 0 })
  })

  // A lossless PNG whose every pixel is distinct, tagged with each orientation and decoded through
  // openImage: sharp's autoOrient must put every stored pixel where storedToOriented says.
  it.each(ORIENTATIONS)('agrees with sharp pixel for pixel for orientation %i', async (orientation) => {
    const width = 4
    const height = 3
    const raw = Buffer.alloc(width * height * 3)
    for (let i = 0; i < width * height; i++) raw[i * 3] = 10 + i * 20
    const png = await sharp(raw, { raw: { width, height, channels: 3 } }).withMetadata({ orientation }).png().toBuffer()
    const opened = await openImage(png)
    const { data, info } = await opened.pipeline().raw().toBuffer({ resolveWithObject: true })
    expect([opened.width, opened.height]).toEqual([info.width, info.height])
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const at = storedToOriented(x, y, { width, height }, orientation)
        expect(data[(at.y * info.width + at.x) * info.channels]).toBe(raw[(y * width + x) * 3])
      }
    }
  })
})
