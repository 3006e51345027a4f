import { createHash } from 'node:crypto'
import { copyFile, mkdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { probeImage, type ProbedImage, type ProbeResult } from '../../../src-main/images/probe'
import { animatedGif, encode, makeTempDir, noise, pixelAt, pngDeclaringSize, put, solid } from './image-factory'

const BMP_FIXTURES = join(__dirname, '../../fixtures/images/bmp')
let dir: Awaited<ReturnType<typeof makeTempDir>>

beforeAll(async () => {
  dir = await makeTempDir()
})
afterAll(() => dir.dispose())

function ok(result: ProbeResult): ProbedImage {
  if (!result.ok) throw new Error(`expected success, got: ${result.reason}`)
  return result.image
}

async function thumbnailInfo(image: ProbedImage): Promise<{ format: string; width: number; height: number }> {
  const meta = await sharp(image.thumbnail).metadata()
  return { format: meta.format, width: meta.width, height: meta.height }
}

describe('probeImage on good files', () => {
  it.each([
    ['jpeg', 'photo.jpg'],
    ['png', 'photo.png'],
    ['webp', 'photo.webp'],
    ['tiff', 'photo.tif'],
    ['gif', 'photo.gif'],
    ['avif', 'photo.avif']
  ] as const)('reads %s: size, format, size on disk, content hash and a WebP thumbnail', async (format, name) => {
    const bytes = await encode(noise(60, 40, 7), format)
    const path = await put(join(dir.path, name), bytes)
    const image = ok(await probeImage(path))
    expect({ width: image.width, height: image.height, orientation: image.orientation, format: image.format }).toEqual({
      width: 60,
      height: 40,
      orientation: 1,
      format
    })
    expect(image.fileSize).toBe(bytes.length)
    expect(image.contentHash).toBe(createHash('sha256').update(bytes).digest('hex'))
    expect(await thumbnailInfo(image)).toEqual({ format: 'webp', width: 60, height: 40 })
  })

  it('needs the built-in BMP decoder because sharp reads no BMP', async () => {
    await expect(sharp(join(BMP_FIXTURES, 'rgb24.bmp')).metadata()).rejects.toThrow('unsupported image format')
  })

  it('reads a BMP through the built-in decoder', async () => {
    const path = join(dir.path, 'paletted.bmp')
    await copyFile(join(BMP_FIXTURES, 'pal8.bmp'), path)
    const image = ok(await probeImage(path))
    expect([image.format, image.width, image.height, image.orientation]).toEqual(['bmp', 7, 5, 1])
    expect(await thumbnailInfo(image)).toEqual({ format: 'webp', width: 7, height: 5 })
  })

  it('shrinks the thumbnail to a longest side of 256, keeping the aspect ratio', async () => {
    const path = await put(join(dir.path, 'wide.jpg'), await encode(noise(600, 400), 'jpeg'))
    expect(await thumbnailInfo(ok(await probeImage(path)))).toEqual({ format: 'webp', width: 256, height: 171 })
  })

  it('uses the first frame of an animated GIF', async () => {
    const path = await put(join(dir.path, 'animated.gif'), await animatedGif(20, 10, ['#ff0000', '#00ff00', '#0000ff']))
    const image = ok(await probeImage(path))
    expect([image.width, image.height]).toEqual([20, 10])
    const { data, info } = await sharp(image.thumbnail).raw().toBuffer({ resolveWithObject: true })
    const [r, g, b] = pixelAt(data, info.width, info.channels, 10, 5)
    expect(r).toBeGreaterThan(200)
    expect(g! + b!).toBeLessThan(60)
  })

  it('reads a 16-bit PNG', async () => {
    const png = await noise(30, 20).toColourspace('rgb16').png().toBuffer()
    expect((await sharp(png).metadata()).depth).toBe('ushort')
    const image = ok(await probeImage(await put(join(dir.path, 'deep.png'), png)))
    expect([image.format, image.width, image.height]).toEqual(['png', 30, 20])
  })

  it('reads a grayscale JPEG', async () => {
    const jpeg = await noise(30, 20).toColourspace('b-w').jpeg().toBuffer()
    expect((await sharp(jpeg).metadata()).channels).toBe(1)
    const image = ok(await probeImage(await put(join(dir.path, 'gray.jpg'), jpeg)))
    expect([image.format, image.width, image.height]).toEqual(['jpeg', 30, 20])
  })

  it('keeps transparency in the thumbnail of a PNG with alpha', async () => {
    const png = await solid(30, 20, 'rgba(255, 0, 0, 0.5)', 4).png().toBuffer()
    const image = ok(await probeImage(await put(join(dir.path, 'alpha.png'), png)))
    const meta = await sharp(image.thumbnail).metadata()
    expect(meta.hasAlpha).toBe(true)
    const { data, info } = await sharp(image.thumbnail).raw().toBuffer({ resolveWithObject: true })
    expect(pixelAt(data, info.width, info.channels, 5, 5)[3]).toBeGreaterThan(110)
    expect(pixelAt(data, info.width, info.channels, 5, 5)[3]).toBeLessThan(145)
  })

  it('accepts a PNG named .jpg, reporting what it really is', async () => {
    const path = await put(join(dir.path, 'misnamed.jpg'), await encode(noise(8, 8), 'png'))
    expect(ok(await probeImage(path)).format).toBe('png')
  })

  it.each([1, 2, 3, 4, 5, 6, 7, 8])('reports EXIF orientation %i with the oriented width and height', async (orientation) => {
    const jpeg = await noise(40, 30).withMetadata({ orientation }).jpeg().toBuffer()
    const image = ok(await probeImage(await put(join(dir.path, `oriented-${orientation}.jpg`), jpeg)))
    const swapped = orientation >= 5
    expect([image.orientation, image.width, image.height]).toEqual([orientation, swapped ? 30 : 40, swapped ? 40 : 30])
    expect(await thumbnailInfo(image)).toEqual({ format: 'webp', width: swapped ? 30 : 40, height: swapped ? 40 : 30 })
  })
})

describe('probeImage on bad files', () => {
  async function reasonFor(name: string, bytes: Uint8Array | string, maxPixels?: number): Promise<string> {
    const path = await put(join(dir.path, 'bad', name), bytes)
    const result = await probeImage(path, maxPixels === undefined ? {} : { maxPixels })
    if (result.ok) throw new Error(`${name} was accepted`)
    return result.reason
  }

  it('EXPECTED FAILURE – a zero-byte file', async () => {
    expect(await reasonFor('empty.png', '')).toBe('empty file (0 bytes)')
  })

  it('EXPECTED FAILURE – a JPEG cut in half', async () => {
    const jpeg = await encode(noise(200, 150), 'jpeg')
    expect(await reasonFor('truncated.jpg', jpeg.subarray(0, jpeg.length >> 1))).toBe('truncated or corrupt JPEG data')
  })

  it('EXPECTED FAILURE – a large JPEG cut short, whose thumbnail would decode at reduced scale', async () => {
    const jpeg = await encode(noise(2000, 1500), 'jpeg')
    expect(await reasonFor('truncated-large.jpg', jpeg.subarray(0, Math.floor(jpeg.length * 0.8)))).toBe(
      'truncated or corrupt JPEG data'
    )
  })

  it('EXPECTED FAILURE – a PNG cut short', async () => {
    const png = await encode(noise(200, 150), 'png')
    expect(await reasonFor('truncated.png', png.subarray(0, Math.floor(png.length * 0.6)))).toBe('truncated or corrupt PNG data')
  })

  it('EXPECTED FAILURE – a WebP, a GIF and a TIFF cut short', async () => {
    for (const format of ['webp', 'gif', 'tiff'] as const) {
      const bytes = await encode(noise(200, 150), format)
      expect(await reasonFor(`truncated.${format}`, bytes.subarray(0, Math.floor(bytes.length * 0.6)))).toBe(
        `truncated or corrupt ${format.toUpperCase()} data`
      )
    }
  })

  it('EXPECTED FAILURE – a BMP cut short', async () => {
    const bytes = await readFile(join(BMP_FIXTURES, 'rgb24.bmp'))
    expect(await reasonFor('truncated.bmp', bytes.subarray(0, 100))).toBe('truncated or corrupt BMP data')
  })

  it('EXPECTED FAILURE – a text file named .jpg', async () => {
    expect(await reasonFor('text.jpg', 'This is a shopping list, not a photograph.\n')).toBe('not an image (unrecognised file contents)')
  })

  it('EXPECTED FAILURE – random bytes named .png', async () => {
    const bytes = Buffer.alloc(4096)
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 7919 + 13) % 251
    expect(await reasonFor('garbage.png', bytes)).toBe('not an image (unrecognised file contents)')
  })

  it('EXPECTED FAILURE – more pixels than the limit given', async () => {
    const jpeg = await encode(noise(40, 30), 'jpeg')
    expect(await reasonFor('limit.jpg', jpeg, 1000)).toBe('too many pixels: 40×30 (1200 pixels) is over the limit of 1000 pixels')
  })

  it('EXPECTED FAILURE – a PNG header declaring 30000×30000 against the default limit, without decoding it', async () => {
    const started = performance.now()
    expect(await reasonFor('bomb.png', await pngDeclaringSize(30000, 30000))).toBe(
      'too many pixels: 30000×30000 (900.0 MP) is over the limit of 268.4 MP'
    )
    expect(performance.now() - started).toBeLessThan(1000)
  })

  it('EXPECTED FAILURE – an SVG named .png', async () => {
    const svg = '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/></svg>'
    expect(await reasonFor('vector.png', svg)).toBe('unsupported image format: SVG')
  })

  it('EXPECTED FAILURE – a run-length encoded BMP', async () => {
    expect(await reasonFor('rle.bmp', await readFile(join(BMP_FIXTURES, 'rle8.bmp')))).toBe(
      'unsupported image format: BMP with RLE8 compression'
    )
  })

  it('EXPECTED FAILURE – a path that does not exist, and a folder', async () => {
    const missing = await probeImage(join(dir.path, 'nope.jpg'))
    expect(missing).toMatchObject({ ok: false, kind: 'unreadable', reason: 'cannot read file: file not found' })
    await mkdir(join(dir.path, 'folder.jpg'), { recursive: true })
    const folder = await probeImage(join(dir.path, 'folder.jpg'))
    expect(folder).toMatchObject({ ok: false, kind: 'unreadable', reason: 'cannot read file: it is a folder' })
  })
})
