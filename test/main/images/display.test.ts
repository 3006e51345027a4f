import { copyFile, readFile, stat } from 'node:fs/promises'
import { join } from 'node:path'
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { decodeBmp } from '../../../src-main/images/bmp-decoder'
import { displayCachePath, renderDisplayImage } from '../../../src-main/images/display'
import { hashBytes } from '../../../src-main/images/content-hash'
import { orientedSize, storedToOriented, type Orientation } from '../../../src-main/images/orientation'
import { animatedGif, encode, makeTempDir, noise, pixelAt, put, redCornerFrame } from './image-factory'

let dir: Awaited<ReturnType<typeof makeTempDir>>
beforeAll(async () => {
  dir = await makeTempDir()
})
afterAll(() => dir.dispose())

async function fileWith(name: string, bytes: Buffer): Promise<{ path: string; hash: string }> {
  return { path: await put(join(dir.path, name), bytes), hash: hashBytes(bytes) }
}

/**
 * A JPEG tagged with `orientation` whose stored pixels are laid out so that the *oriented* frame
 * (oriented width × height) has a red block in its top-left corner and blue everywhere else.
 */
async function jpegWithRedOrientedCorner(orientation: Orientation, stored: { width: number; height: number }): Promise<Buffer> {
  const oriented = orientedSize(stored, orientation)
  const frame = redCornerFrame(oriented.width, oriented.height, 12)
  const raw = Buffer.alloc(stored.width * stored.height * 3)
  for (let y = 0; y < stored.height; y++) {
    for (let x = 0; x < stored.width; x++) {
      const at = storedToOriented(x, y, stored, orientation)
      frame.copy(raw, (y * stored.width + x) * 3, (at.y * oriented.width + at.x) * 3, (at.y * oriented.width + at.x) * 3 + 3)
    }
  }
  return sharp(raw, { raw: { ...stored, channels: 3 } })
    .withMetadata({ orientation })
    .jpeg({ quality: 95 })
    .toBuffer()
}

describe('renderDisplayImage', () => {
  it('serves a browser-native file in orientation 1 as it is', async () => {
    const { path, hash } = await fileWith('plain.jpg', await encode(noise(30, 20), 'jpeg'))
    expect(await renderDisplayImage(path, 1, 'jpeg', { projectRoot: dir.path, contentHash: hash })).toEqual({
      path,
      contentType: 'image/jpeg',
      source: 'original'
    })
  })

  it.each([2, 3, 4, 5, 6, 7, 8] as const)(
    'bakes EXIF orientation %i into a JPEG with the red corner at the top-left',
    async (orientation) => {
      const { path, hash } = await fileWith(`oriented-${orientation}.jpg`, await jpegWithRedOrientedCorner(orientation, { width: 64, height: 40 }))
      const display = await renderDisplayImage(path, orientation, 'jpeg', { projectRoot: dir.path, contentHash: hash })
      expect(display).toEqual({ path: displayCachePath(dir.path, hash, 'jpg'), contentType: 'image/jpeg', source: 'converted' })
      // Read it as a browser would, trusting its tags: it must carry no orientation of its own.
      const meta = await sharp(display.path).metadata()
      expect(meta.orientation ?? 1).toBe(1)
      const expected = orientedSize({ width: 64, height: 40 }, orientation)
      const { data, info } = await sharp(display.path).raw().toBuffer({ resolveWithObject: true })
      expect([info.width, info.height]).toEqual([expected.width, expected.height])
      const [r, , b] = pixelAt(data, info.width, info.channels, 4, 4)
      expect(r).toBeGreaterThan(200)
      expect(b).toBeLessThan(60)
      const [r2, , b2] = pixelAt(data, info.width, info.channels, info.width - 4, info.height - 4)
      expect(r2).toBeLessThan(60)
      expect(b2).toBeGreaterThan(200)
    }
  )

  it('converts a TIFF to a lossless PNG with the same pixels', async () => {
    const tiff = await noise(30, 20, 3).tiff().toBuffer()
    const { path, hash } = await fileWith('scan.tif', tiff)
    const display = await renderDisplayImage(path, 1, 'tiff', { projectRoot: dir.path, contentHash: hash })
    expect(display).toEqual({ path: displayCachePath(dir.path, hash, 'png'), contentType: 'image/png', source: 'converted' })
    const shown = await sharp(display.path).raw().toBuffer()
    expect(shown.equals(await sharp(tiff).raw().toBuffer())).toBe(true)
  })

  it('converts a BMP to a PNG with exactly the decoded pixels', async () => {
    const source = join(__dirname, '../../fixtures/images/bmp/pal4.bmp')
    const path = join(dir.path, 'pal4.bmp')
    await copyFile(source, path)
    const bytes = await readFile(path)
    const display = await renderDisplayImage(path, 1, 'bmp', { projectRoot: dir.path, contentHash: hashBytes(bytes) })
    expect(display.contentType).toBe('image/png')
    expect((await sharp(display.path).raw().toBuffer()).equals(decodeBmp(bytes).data)).toBe(true)
  })

  it('shows only the first frame of an animated GIF, and a still GIF as it is', async () => {
    const animated = await fileWith('anim.gif', await animatedGif(20, 10, ['#00ff00', '#ff0000']))
    const display = await renderDisplayImage(animated.path, 1, 'gif', { projectRoot: dir.path, contentHash: animated.hash })
    expect(display.source).toBe('converted')
    const { data, info } = await sharp(display.path).raw().toBuffer({ resolveWithObject: true })
    expect([info.width, info.height]).toEqual([20, 10])
    expect(pixelAt(data, info.width, info.channels, 3, 3).slice(0, 3)).toEqual([0, 255, 0])
    const still = await fileWith('still.gif', await encode(noise(8, 8), 'gif'))
    expect((await renderDisplayImage(still.path, 1, 'gif', { projectRoot: dir.path, contentHash: still.hash })).source).toBe('original')
  })

  it('converts once: later and concurrent requests reuse the cached file', async () => {
    const { path, hash } = await fileWith('cached.tif', await noise(40, 40, 9).tiff().toBuffer())
    const cache = { projectRoot: dir.path, contentHash: hash }
    const [a, b] = await Promise.all([renderDisplayImage(path, 1, 'tiff', cache), renderDisplayImage(path, 1, 'tiff', cache)])
    expect(a.path).toBe(b.path)
    const writtenAt = (await stat(a.path)).mtimeMs
    await new Promise((resolve) => setTimeout(resolve, 20))
    expect((await renderDisplayImage(path, 1, 'tiff', cache)).path).toBe(a.path)
    expect((await stat(a.path)).mtimeMs).toBe(writtenAt)
  })

  it('EXPECTED FAILURE – rejects a file that no longer decodes with the reason', async () => {
    const tiff = await noise(100, 100).tiff().toBuffer()
    const { path, hash } = await fileWith('broken.tif', tiff.subarray(0, tiff.length >> 1))
    await expect(renderDisplayImage(path, 1, 'tiff', { projectRoot: dir.path, contentHash: hash })).rejects.toThrow(
      'truncated or corrupt TIFF data'
    )
  })
})
