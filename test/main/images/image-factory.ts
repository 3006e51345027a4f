/** Test helpers: small images made with sharp, and temporary folders that clean up after themselves. */
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import sharp from 'sharp'
import type { Sharp } from 'sharp'

/** A temporary folder; `dispose()` removes it. */
export async function makeTempDir(prefix = 'rose-images-'): Promise<{ path: string; dispose(): Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), prefix))
  return { path, dispose: () => rm(path, { recursive: true, force: true }) }
}

/** Writes bytes to a path, creating its folder. */
export async function put(path: string, bytes: Uint8Array | string): Promise<string> {
  await mkdir(dirname(path), { recursive: true })
  await writeFile(path, bytes)
  return path
}

/** An output format sharp can write for tests. */
export type WritableFormat = 'jpeg' | 'png' | 'webp' | 'tiff' | 'gif' | 'avif'

/** A noisy RGB image (noise keeps files distinct and makes compression do real work). */
export function noise(width: number, height: number, seed = 1): Sharp {
  const data = Buffer.alloc(width * height * 3)
  let state = seed >>> 0 || 1
  for (let i = 0; i < data.length; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0
    data[i] = state >>> 24
  }
  return sharp(data, { raw: { width, height, channels: 3 } })
}

/** A solid image of one colour. */
export function solid(width: number, height: number, color: string, channels: 3 | 4 = 3): Sharp {
  return sharp({ create: { width, height, channels, background: color } })
}

/** Encodes an image in a format. */
export function encode(image: Sharp, format: WritableFormat): Promise<Buffer> {
  switch (format) {
    case 'jpeg':
      return image.jpeg({ quality: 90 }).toBuffer()
    case 'png':
      return image.png().toBuffer()
    case 'webp':
      return image.webp({ quality: 90 }).toBuffer()
    case 'tiff':
      return image.tiff().toBuffer()
    case 'gif':
      return image.gif().toBuffer()
    case 'avif':
      // Fastest effort: AVIF encoding is slow, and the tests only need a valid file.
      return image.avif({ effort: 0, quality: 60 }).toBuffer()
  }
}

/**
 * Raw RGB pixels of a W×H frame whose top-left `block`×`block` square is red and the rest blue.
 */
export function redCornerFrame(width: number, height: number, block: number): Buffer {
  const data = Buffer.alloc(width * height * 3)
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3
      const red = x < block && y < block
      data[i] = red ? 255 : 0
      data[i + 2] = red ? 0 : 255
    }
  }
  return data
}

/** The RGB(A) value of one pixel of raw interleaved data. */
export function pixelAt(data: Uint8Array, width: number, channels: number, x: number, y: number): number[] {
  const i = (y * width + x) * channels
  return Array.from(data.subarray(i, i + channels))
}

/** An animated GIF whose frames are solid colours, first frame first. */
export async function animatedGif(width: number, height: number, colors: readonly string[]): Promise<Buffer> {
  const frames = await Promise.all(colors.map((c) => solid(width, height, c).raw().toBuffer()))
  return sharp(Buffer.concat(frames), { raw: { width, height: height * colors.length, channels: 3, pageHeight: height } })
    .gif()
    .toBuffer()
}

/**
 * A PNG whose header declares a size it does not have (a "decompression bomb" header): the real
 * 1×1 pixel data stays, only IHDR's width, height and CRC change.
 */
export async function pngDeclaringSize(width: number, height: number): Promise<Buffer> {
  const png = Buffer.from(await solid(1, 1, '#000').png().toBuffer())
  // Signature (8) + chunk length (4) + "IHDR" (4): width and height follow, then the chunk's CRC.
  png.writeUInt32BE(width, 16)
  png.writeUInt32BE(height, 20)
  png.writeUInt32BE(crc32(png.subarray(12, 29)), 29)
  return png
}

function crc32(bytes: Uint8Array): number {
  let crc = ~0
  for (const byte of bytes) {
    crc ^= byte
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0xedb88320 : crc >>> 1
  }
  return ~crc >>> 0
}
