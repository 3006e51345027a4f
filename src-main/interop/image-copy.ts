import { randomBytes } from 'node:crypto'
import { copyFile, mkdir, rename, rm } from 'node:fs/promises'
import { basename, dirname, join, resolve } from 'node:path'
import { decodeWith, openImage } from '../images/open-image'
import { writeFileAtomic } from '../common/atomic-file'

/** What a copy needs to know about an image. */
export interface CopySource {
  /** Absolute path of the original file. */
  readonly file: string
  readonly format: string
  readonly orientation: number
  /** Oriented width and height the project recorded (what the annotations are drawn on). */
  readonly width: number
  readonly height: number
}

/**
 * Copies an image into an export so that every loader sees the frame the annotations are in. A file
 * without EXIF rotation is copied byte for byte. A rotated one is decoded upright and re-encoded without
 * an orientation tag (JPEG at quality 95 with full chroma, PNG lossless, anything else as PNG), because
 * many loaders (OpenCV with IMREAD_UNCHANGED, PIL without exif_transpose, most COCO viewers) ignore the
 * tag and would see the stored, unrotated frame.
 */
export async function copyImage(source: CopySource, target: string): Promise<void> {
  // An export into the image folder itself would replace originals (with re-encoded pixels, for rotated ones).
  if (resolve(target) === resolve(source.file)) throw new Error(`the copy would overwrite the original ${source.file}: export to another folder`)
  if (source.orientation === 1) {
    await mkdir(dirname(target), { recursive: true })
    const temporary = join(dirname(target), `.${basename(target)}.${randomBytes(4).toString('hex')}.tmp`)
    try {
      await copyFile(source.file, temporary)
      await rename(temporary, target)
    } catch (error) {
      await rm(temporary, { force: true })
      throw error
    }
    return
  }
  const image = await openImage(source.file)
  const { data, info } = await decodeWith(image, (pipeline) =>
    (source.format === 'jpeg' ? pipeline.jpeg({ quality: 95, chromaSubsampling: '4:4:4' }) : pipeline.png()).toBuffer({
      resolveWithObject: true
    })
  )
  if (info.width !== source.width || info.height !== source.height) {
    throw new Error(`the upright image is ${info.width}x${info.height}, the project recorded ${source.width}x${source.height}`)
  }
  await writeFileAtomic(target, data)
}

/** Runs `work` over `items` with at most `limit` at a time, in order of start. */
export async function forEachLimited<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0
  const runners = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await work(items[next++]!)
  })
  await Promise.all(runners)
}
