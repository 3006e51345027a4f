/**
 * Probing: everything the project stores about an image file, plus its thumbnail, or the reason the
 * file cannot be used. The thumbnail is made by a full decode, which is what catches truncated data.
 */
import type { ImageFormat } from './formats'
import type { ImageProblemKind } from './image-problem'
import { isImageProblem } from './image-problem'
import { openImage } from './open-image'
import type { Orientation } from './orientation'
import { readImageFile, type ImageFileContent } from './read-image-file'
import { renderThumbnail, THUMBNAIL_SIZE } from './thumbnails'

/** What the project records about a usable image. */
export interface ProbedImage {
  /** Width of the oriented frame (EXIF orientation applied). */
  readonly width: number
  /** Height of the oriented frame. */
  readonly height: number
  readonly orientation: Orientation
  readonly format: ImageFormat
  readonly fileSize: number
  /** SHA-256 of the file's bytes, lower-case hex. */
  readonly contentHash: string
  /** WebP, oriented, longest side THUMBNAIL_SIZE (smaller images are not enlarged). */
  readonly thumbnail: Buffer
}

/** Why an image cannot be used: a stable kind, the user-facing reason, and the decoder's words for logs. */
export interface ProbeFailure {
  readonly kind: ImageProblemKind
  readonly reason: string
  readonly detail?: string
}

/** The outcome of probing one file. */
export type ProbeResult = { readonly ok: true; readonly image: ProbedImage } | ({ readonly ok: false } & ProbeFailure)

/** Options for probing. */
export interface ProbeOptions {
  /** Largest width × height accepted; defaults to sharp's ≈ 268 MP. */
  readonly maxPixels?: number
  /** Longest side of the thumbnail. */
  readonly thumbnailSize?: number
}

/** Reads, hashes, checks and thumbnails an image file; never throws for a bad file. */
export async function probeImage(absPath: string, options: ProbeOptions = {}): Promise<ProbeResult> {
  let file: ImageFileContent
  try {
    file = await readImageFile(absPath)
  } catch (error) {
    return failure(error)
  }
  return probeFileContent(file, options)
}

/** Probes a file already read (and hashed) by readImageFile; never throws for a bad file. */
export async function probeFileContent(file: ImageFileContent, options: ProbeOptions = {}): Promise<ProbeResult> {
  try {
    const opened = await openImage(file.input, options.maxPixels === undefined ? {} : { maxPixels: options.maxPixels })
    const thumbnail = await renderThumbnail(opened, options.thumbnailSize ?? THUMBNAIL_SIZE)
    return {
      ok: true,
      image: {
        width: opened.width,
        height: opened.height,
        orientation: opened.orientation,
        format: opened.format,
        fileSize: file.fileSize,
        contentHash: file.contentHash,
        thumbnail
      }
    }
  } catch (error) {
    return failure(error)
  }
}

function failure(error: unknown): ProbeResult {
  // Anything that is not a known image problem is a bug, and must not be dressed up as bad input.
  if (!isImageProblem(error)) throw error
  return error.detail === undefined
    ? { ok: false, kind: error.kind, reason: error.message }
    : { ok: false, kind: error.kind, reason: error.message, detail: error.detail }
}
