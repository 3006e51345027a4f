import { renderDisplayImage } from '../images/display'
import { isImageFormat } from '../images/formats'
import { normalizeOrientation } from '../images/orientation'
import { resolveProjectPath } from '../images/project-path'
import { ensureThumbnail } from '../images/thumbnails'
import type { ProjectStore } from '../store/project-store'
import { ExpectedError } from '../common/errors'

/** A file to send to the UI: a path on disk, or bytes, with its MIME type. */
export type ServedFile =
  | { readonly path: string; readonly contentType: string }
  | { readonly data: Uint8Array; readonly contentType: string }

/** Finds the files the UI shows for an image: the oriented display image and the cached thumbnail. */
export class ImageFiles {
  constructor(private readonly store: ProjectStore) {}

  /** The image in the oriented frame, in a format the browser shows (the original file when it can be). */
  async displayImage(id: number): Promise<ServedFile> {
    const image = this.store.getImage(id)
    const format = image.format
    if (!isImageFormat(format)) throw new ExpectedError('UNSUPPORTED', `image ${id} (${image.path}) has an unknown format ${format}`)
    const display = await renderDisplayImage(
      resolveProjectPath(this.store.root, image.path),
      normalizeOrientation(image.orientation),
      format,
      { projectRoot: this.store.root, contentHash: image.contentHash }
    )
    return { path: display.path, contentType: display.contentType }
  }

  /** The cached WebP thumbnail, made again from the image when the cache lost it. */
  async thumbnail(id: number): Promise<ServedFile> {
    const image = this.store.getImage(id)
    const path = await ensureThumbnail(this.store.root, resolveProjectPath(this.store.root, image.path), image.contentHash)
    return { path, contentType: 'image/webp' }
  }
}
