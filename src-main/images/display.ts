/**
 * The image the UI shows: always the oriented frame, as a file a browser displays without applying
 * any orientation of its own. Browser-native files already in orientation 1 are served as they are
 * (no copy, no quality loss); anything else is converted once and cached in
 * `<project>/.rose/cache/display/<content hash>.<ext>`.
 */
import { join } from 'node:path'
import sharp from 'sharp'
import { writeFileAtomic } from '../common/atomic-file'
import { fileExists } from './cache-files'
import type { ImageFormat } from './formats'
import { mimeType } from './formats'
import { decodeWith, openImage } from './open-image'
import type { Orientation } from './orientation'
import { roseDir } from './project-path'

/** A file to send to the browser for an image. */
export interface DisplayImage {
  /** Absolute path of the file to send. */
  readonly path: string
  /** Its MIME type. */
  readonly contentType: string
  /** 'original' when the image file itself is sent, 'converted' when a baked copy from the cache is. */
  readonly source: 'original' | 'converted'
}

/** Where converted display images are cached, and the limit applied when converting. */
export interface DisplayCacheOptions {
  readonly projectRoot: string
  /** The image's content hash (the cache key). */
  readonly contentHash: string
  readonly maxPixels?: number
}

/** JPEG quality of baked (re-oriented) JPEGs: high enough that re-encoding is not visible while annotating. */
export const DISPLAY_JPEG_QUALITY = 92

// Formats every Chromium (Electron 45, Debian's chromium) shows natively. BMP is left out on purpose:
// browsers disagree on its rarer variants, and our own decoder is the reference for what it contains.
const BROWSER_NATIVE: ReadonlySet<ImageFormat> = new Set(['jpeg', 'png', 'webp', 'gif', 'avif'])
// Formats that may animate in a browser while the project works on their first frame only.
const MAY_ANIMATE: ReadonlySet<ImageFormat> = new Set(['gif', 'webp'])

const inFlight = new Map<string, Promise<DisplayImage>>()

/** The path of the cached display image for a content hash and output format. */
export function displayCachePath(projectRoot: string, contentHash: string, extension: 'jpg' | 'png'): string {
  return join(roseDir(projectRoot, 'cache', 'display'), `${contentHash}.${extension}`)
}

/**
 * The browser-displayable, orientation-baked file for an image: the original when it is already
 * that, otherwise a cached conversion (oriented JPEG → baked JPEG; TIFF, BMP, oriented or animated
 * others → PNG). Throws ImageProblemError when the image cannot be decoded.
 */
export async function renderDisplayImage(
  absPath: string,
  orientation: Orientation,
  format: ImageFormat,
  cache: DisplayCacheOptions
): Promise<DisplayImage> {
  if (orientation === 1 && BROWSER_NATIVE.has(format) && !(MAY_ANIMATE.has(format) && (await isAnimated(absPath)))) {
    return { path: absPath, contentType: mimeType(format), source: 'original' }
  }
  const extension = format === 'jpeg' ? 'jpg' : 'png'
  const path = displayCachePath(cache.projectRoot, cache.contentHash, extension)
  const running = inFlight.get(path)
  if (running !== undefined) return running
  const work = convert(absPath, path, extension, cache.maxPixels).finally(() => inFlight.delete(path))
  inFlight.set(path, work)
  return work
}

async function convert(absPath: string, path: string, extension: 'jpg' | 'png', maxPixels: number | undefined): Promise<DisplayImage> {
  const contentType = extension === 'jpg' ? 'image/jpeg' : 'image/png'
  if (await fileExists(path)) return { path, contentType, source: 'converted' }
  const image = await openImage(absPath, maxPixels === undefined ? {} : { maxPixels })
  const bytes = await decodeWith(image, (pipeline) =>
    extension === 'jpg'
      ? pipeline.jpeg({ quality: DISPLAY_JPEG_QUALITY, chromaSubsampling: '4:4:4' }).toBuffer()
      : // Fast compression: the cache is local, and the first view of a large TIFF should not wait on zlib.
        pipeline.png({ compressionLevel: 2 }).toBuffer()
  )
  await writeFileAtomic(path, bytes)
  return { path, contentType, source: 'converted' }
}

async function isAnimated(absPath: string): Promise<boolean> {
  try {
    return ((await sharp(absPath).metadata()).pages ?? 1) > 1
  } catch {
    // Undecodable files were rejected at import; if the file changed since, let the browser show what it can.
    return false
  }
}
