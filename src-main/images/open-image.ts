/**
 * Opens an image file for decoding: reads its header, decides its format, applies the pixel limit,
 * and hands out sharp pipelines that decode the first frame strictly (so a truncated or corrupt file
 * fails instead of decoding grey) and already in the oriented frame (see orientation.ts). Every part
 * of main that needs pixels (thumbnails, display images, the engine, export) goes through here.
 */
import { open, readFile } from 'node:fs/promises'
import sharp from 'sharp'
import type { Metadata, Sharp, SharpOptions } from 'sharp'
import { decodeBmp, readBmpHeader, BmpError } from './bmp-decoder'
import { formatFromSharp, sniffFormat, unsupportedFormatLabel, type ImageFormat } from './formats'
import { DEFAULT_MAX_PIXELS, ImageProblemError, imageProblems } from './image-problem'
import { normalizeOrientation, orientedSize, type Orientation } from './orientation'

/** Options for opening an image. */
export interface OpenImageOptions {
  /** Largest number of pixels (width × height) accepted; defaults to sharp's ≈ 268 MP. */
  readonly maxPixels?: number
}

/** An image whose header has been read and accepted; decoding happens in `pipeline()`. */
export interface OpenedImage {
  readonly format: ImageFormat
  /** The EXIF orientation of the stored pixels (1 when there is none). */
  readonly orientation: Orientation
  /** Width of the oriented frame. */
  readonly width: number
  /** Height of the oriented frame. */
  readonly height: number
  /** A new sharp pipeline over the first frame, oriented, failing on truncated or corrupt data. */
  pipeline(): Sharp
}

/**
 * Opens an image from its bytes (or, for files too large to hold twice, its path) and checks its header.
 * Throws ImageProblemError with the user-facing reason when the image cannot be used.
 */
export async function openImage(input: Buffer | string, options: OpenImageOptions = {}): Promise<OpenedImage> {
  const maxPixels = options.maxPixels ?? DEFAULT_MAX_PIXELS
  if (!Number.isFinite(maxPixels) || maxPixels < 1) throw new RangeError(`maxPixels must be a positive number, got ${maxPixels}`)
  const head = typeof input === 'string' ? await readHead(input) : input
  if (head.length === 0) throw imageProblems.empty()
  const sniffed = sniffFormat(head)
  if (sniffed === 'bmp') return openBmp(typeof input === 'string' ? await readWhole(input) : input, maxPixels)

  let metadata: Metadata
  try {
    // Header only: the limit is checked against the declared size below, before any pixel is decoded.
    metadata = await sharp(input, { limitInputPixels: false }).metadata()
  } catch (error) {
    throw classifyDecodeError(error, sniffed)
  }
  const format = formatFromSharp(metadata.format, metadata.compression)
  if (format === undefined) throw imageProblems.unsupportedFormat(unsupportedFormatLabel(String(metadata.format), metadata.compression))
  const orientation = normalizeOrientation(metadata.orientation)
  const size = orientedSize({ width: metadata.width, height: metadata.height }, orientation)
  if (size.width * size.height > maxPixels) throw imageProblems.tooManyPixels(size.width, size.height, maxPixels)

  const sharpOptions: SharpOptions = {
    limitInputPixels: maxPixels,
    // 'error' rejects truncated and corrupt data but tolerates libjpeg's harmless warnings
    // (e.g. stray bytes before a marker) that browsers also ignore.
    failOn: 'error'
  }
  return {
    format,
    orientation,
    width: size.width,
    height: size.height,
    pipeline: () => sharp(input, sharpOptions).autoOrient()
  }
}

/** Runs a pipeline's output step and turns decoder errors into ImageProblemError with a reason. */
export async function decodeWith<T>(image: OpenedImage, run: (pipeline: Sharp) => Promise<T>): Promise<T> {
  try {
    return await run(image.pipeline())
  } catch (error) {
    throw classifyDecodeError(error, image.format)
  }
}

function openBmp(bytes: Buffer, maxPixels: number): OpenedImage {
  let header
  try {
    header = readBmpHeader(bytes)
  } catch (error) {
    throw bmpProblem(error)
  }
  if (header.width * header.height > maxPixels) throw imageProblems.tooManyPixels(header.width, header.height, maxPixels)
  let decoded: ReturnType<typeof decodeBmp> | undefined
  const pixels = (): ReturnType<typeof decodeBmp> => {
    try {
      decoded ??= decodeBmp(bytes)
    } catch (error) {
      throw bmpProblem(error)
    }
    return decoded
  }
  // Decode eagerly so a truncated BMP fails here, like other formats fail on their first decode.
  pixels()
  return {
    format: 'bmp',
    orientation: 1, // BMP has no EXIF.
    width: header.width,
    height: header.height,
    pipeline: () => {
      const { data, width, height, channels } = pixels()
      return sharp(data, { raw: { width, height, channels }, limitInputPixels: maxPixels })
    }
  }
}

function bmpProblem(error: unknown): ImageProblemError {
  if (!(error instanceof BmpError)) return imageProblems.truncated('bmp', String(error))
  if (error.kind === 'unsupported') return imageProblems.unsupportedFormat(`BMP with ${error.variant ?? 'an unknown variant'}`, error.message)
  return imageProblems.truncated('bmp', error.message)
}

/** Turns an error from sharp into the user-facing problem, using the sniffed format to tell "truncated" from "garbage". */
export function classifyDecodeError(error: unknown, format: ImageFormat | undefined): ImageProblemError {
  if (error instanceof ImageProblemError) return error
  const detail = (error instanceof Error ? error.message : String(error)).split('\n')[0] ?? ''
  if (/buffer is empty/i.test(detail)) return imageProblems.empty()
  if (format !== undefined) return imageProblems.truncated(format, detail)
  return imageProblems.notAnImage(detail)
}

const HEAD_BYTES = 64

async function readHead(path: string): Promise<Buffer> {
  let handle
  try {
    handle = await open(path, 'r')
    const buffer = Buffer.alloc(HEAD_BYTES)
    const { bytesRead } = await handle.read(buffer, 0, HEAD_BYTES, 0)
    return buffer.subarray(0, bytesRead)
  } catch (error) {
    throw imageProblems.unreadable(error)
  } finally {
    await handle?.close()
  }
}

async function readWhole(path: string): Promise<Buffer> {
  try {
    return await readFile(path)
  } catch (error) {
    throw imageProblems.unreadable(error)
  }
}
