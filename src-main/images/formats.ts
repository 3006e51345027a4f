/**
 * The image formats a project accepts, recognised three ways: by file extension (to pick candidates
 * while scanning folders), by magic bytes (to tell "truncated JPEG" from "not an image" when a
 * decoder gives up), and by what sharp reports after reading the header.
 */
import { extname } from 'node:path'

/** A supported image format, named as stored in the project database. */
export type ImageFormat = 'jpeg' | 'png' | 'webp' | 'tiff' | 'bmp' | 'gif' | 'avif'

/** Every supported format, in the order they are listed to users. */
export const IMAGE_FORMATS: readonly ImageFormat[] = ['jpeg', 'png', 'webp', 'tiff', 'bmp', 'gif', 'avif']

const FORMAT_BY_EXTENSION: Readonly<Record<string, ImageFormat>> = {
  '.jpg': 'jpeg',
  '.jpeg': 'jpeg',
  '.png': 'png',
  '.webp': 'webp',
  '.tif': 'tiff',
  '.tiff': 'tiff',
  '.bmp': 'bmp',
  '.gif': 'gif',
  '.avif': 'avif'
}

/** File extensions (lower case, with the dot) that mark a file as a candidate image. */
export const SUPPORTED_EXTENSIONS: readonly string[] = Object.keys(FORMAT_BY_EXTENSION)

/** The format a file name's extension promises, case-insensitively; undefined when unsupported. */
export function formatFromExtension(fileName: string): ImageFormat | undefined {
  return FORMAT_BY_EXTENSION[extname(fileName).toLowerCase()]
}

/** True when the file name has a supported image extension. */
export function hasSupportedExtension(fileName: string): boolean {
  return formatFromExtension(fileName) !== undefined
}

/** A user-facing name for a format ("JPEG", "TIFF"). */
export function formatLabel(format: string): string {
  return format.toUpperCase()
}

/**
 * Maps sharp's `metadata().format` (plus `compression` for HEIF containers) to a supported format,
 * or undefined for formats sharp reads that a project does not accept (SVG, HEIC, …).
 */
export function formatFromSharp(sharpFormat: string | undefined, compression?: string): ImageFormat | undefined {
  switch (sharpFormat) {
    case 'jpeg':
    case 'png':
    case 'webp':
    case 'tiff':
    case 'gif':
      return sharpFormat
    case 'heif':
      // sharp names every HEIF container 'heif'; only AV1-coded ones (AVIF) decode with the prebuilt libvips.
      return compression === 'av1' ? 'avif' : undefined
    default:
      return undefined
  }
}

/** The user-facing name of a format sharp reads but a project does not accept ("SVG", "HEIC"). */
export function unsupportedFormatLabel(sharpFormat: string, compression?: string): string {
  if (sharpFormat === 'heif') return compression === 'hevc' ? 'HEIC' : `HEIF (${compression ?? 'unknown coding'})`
  return formatLabel(sharpFormat)
}

/** The format the first bytes of a file announce, whatever its name; undefined when none matches. */
export function sniffFormat(bytes: Uint8Array): ImageFormat | undefined {
  const b = bytes
  const ascii = (start: number, text: string): boolean => {
    if (b.length < start + text.length) return false
    for (let i = 0; i < text.length; i++) if (b[start + i] !== text.charCodeAt(i)) return false
    return true
  }
  if (b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return 'jpeg'
  if (b[0] === 0x89 && ascii(1, 'PNG\r\n\x1a\n')) return 'png'
  if (ascii(0, 'GIF87a') || ascii(0, 'GIF89a')) return 'gif'
  if (ascii(0, 'RIFF') && ascii(8, 'WEBP')) return 'webp'
  // Classic TIFF (42) and BigTIFF (43), little- and big-endian.
  if (ascii(0, 'II') && (b[2] === 42 || b[2] === 43) && b[3] === 0) return 'tiff'
  if (ascii(0, 'MM') && b[2] === 0 && (b[3] === 42 || b[3] === 43)) return 'tiff'
  if (ascii(0, 'BM') && b.length >= 18) return 'bmp'
  if (ascii(4, 'ftyp') && (ascii(8, 'avif') || ascii(8, 'avis'))) return 'avif'
  return undefined
}

const MIME_TYPES: Readonly<Record<ImageFormat, string>> = {
  jpeg: 'image/jpeg',
  png: 'image/png',
  webp: 'image/webp',
  tiff: 'image/tiff',
  bmp: 'image/bmp',
  gif: 'image/gif',
  avif: 'image/avif'
}

/** The MIME type of a supported format. */
export function mimeType(format: ImageFormat): string {
  return MIME_TYPES[format]
}

/** True for a format name that is one of the supported ones. */
export function isImageFormat(value: string): value is ImageFormat {
  return (IMAGE_FORMATS as readonly string[]).includes(value)
}
