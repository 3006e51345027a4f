/**
 * Why an image file cannot be used, as a stable kind plus the one sentence a user sees. The wording
 * lives here, in one place, so the import report, the UI and the tests agree on every reason.
 */
import { ExpectedError } from '../common/errors'
import { formatLabel } from './formats'

/** The kinds of bad image file an import reports. */
export type ImageProblemKind = 'empty' | 'truncated' | 'not-an-image' | 'too-many-pixels' | 'unsupported-format' | 'unreadable'

/** An image that cannot be read or decoded: an expected failure with a user-facing reason. */
export class ImageProblemError extends ExpectedError {
  override readonly name = 'ImageProblemError'
  constructor(
    readonly kind: ImageProblemKind,
    reason: string,
    /** The decoder's own words, for logs; not shown as the reason. */
    readonly detail?: string
  ) {
    super(`IMAGE_${kind.toUpperCase().replaceAll('-', '_')}`, reason)
  }
}

/** sharp's default `limitInputPixels`: 0x3FFF × 0x3FFF ≈ 268 MP. */
export const DEFAULT_MAX_PIXELS = 0x3fff * 0x3fff

function pixelCount(n: number): string {
  return n >= 1_000_000 ? `${(n / 1_000_000).toFixed(1)} MP` : `${n} pixels`
}

/** The user-facing reasons, one function per kind. */
export const imageProblems = {
  empty: (): ImageProblemError => new ImageProblemError('empty', 'empty file (0 bytes)'),
  truncated: (format: string, detail?: string): ImageProblemError =>
    new ImageProblemError('truncated', `truncated or corrupt ${formatLabel(format)} data`, detail),
  notAnImage: (detail?: string): ImageProblemError =>
    new ImageProblemError('not-an-image', 'not an image (unrecognised file contents)', detail),
  tooManyPixels: (width: number, height: number, limit: number): ImageProblemError =>
    new ImageProblemError(
      'too-many-pixels',
      `too many pixels: ${width}×${height} (${pixelCount(width * height)}) is over the limit of ${pixelCount(limit)}`
    ),
  unsupportedFormat: (label: string, detail?: string): ImageProblemError =>
    new ImageProblemError('unsupported-format', `unsupported image format: ${label}`, detail),
  unsupportedExtension: (extension: string): ImageProblemError =>
    new ImageProblemError(
      'unsupported-format',
      `unsupported file type${extension ? ` (${extension})` : ''}; supported: jpg, jpeg, png, webp, tif, tiff, bmp, gif, avif`
    ),
  unreadable: (error: unknown): ImageProblemError => new ImageProblemError('unreadable', `cannot read file: ${fileErrorText(error)}`, String(error))
} as const

function fileErrorText(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code
  switch (code) {
    case 'ENOENT':
      return 'file not found'
    case 'EACCES':
    case 'EPERM':
      return 'permission denied'
    case 'EISDIR':
      return 'it is a folder'
    case 'EIO':
      return 'input/output error'
    default:
      return typeof code === 'string' ? code : error instanceof Error ? error.message : String(error)
  }
}

/** True when a thrown value is an ImageProblemError. */
export function isImageProblem(error: unknown): error is ImageProblemError {
  return error instanceof ImageProblemError
}
