import { readFile } from 'node:fs/promises'
import { basename, dirname, resolve } from 'node:path'
import { setImmediate as yieldToEventLoop } from 'node:timers/promises'
import { ExpectedError, errorMessage, throwIfAborted } from '../common/errors'
import { frPolygons, type RleRuns } from '../masks/rle'
import type { ImageRef } from '../store/project-store'
import { decideFrame, orientRings, orientRuns, type FrameChoice } from './annotation-frame'
import { checkRings, readSegmentation } from './coco-segmentation'
import type { ImportContext } from './import-context'

interface FileImage {
  readonly ref: ImageRef
  /** The frame decided from the declared size; null when the file declares none (decided per annotation). */
  readonly frame: FrameChoice | null
  readonly label: string
}

/**
 * Imports a COCO instances file. The top level must be an object with `images`, `annotations` and
 * `categories` lists, or nothing can be read and the import fails with the reason. Below that, every
 * entry is checked on its own: a bad category, image or annotation is reported with its id and what is
 * wrong, and everything else is imported. Images are matched to project images by `file_name` (see
 * image-matcher.ts), categories merged into the project's by name.
 */
export async function importCoco(context: ImportContext): Promise<void> {
  const { problems, request, counts } = context
  const name = basename(context.path)
  const data = await readJson(context.path)
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    const hint = Array.isArray(data) ? ' (a list is a COCO results file: import the instances file it goes with)' : ''
    throw new ExpectedError('INVALID_FILE', `${name}: expected a COCO object with "images", "annotations" and "categories"${hint}`)
  }
  const root = data as Record<string, unknown>
  for (const key of ['images', 'annotations', 'categories']) {
    if (!(key in root)) throw new ExpectedError('INVALID_FILE', `${name}: missing key "${key}"`)
    if (!Array.isArray(root[key])) throw new ExpectedError('INVALID_FILE', `${name}: "${key}" must be a list`)
  }
  const imageRoot = request.imageRoot === null ? dirname(context.path) : resolve(request.imageRoot)

  // Categories: id → name.
  const categories = new Map<number, { name: string; supercategory: string | null }>()
  ;(root.categories as unknown[]).forEach((entry, i) => {
    const item = isRecord(entry) && Number.isInteger(entry.id) ? `category id ${entry.id}` : `categories[${i}]`
    if (!isRecord(entry)) return problems.add(item, 'is not an object')
    if (!('id' in entry)) return problems.add(item, 'missing key "id"')
    if (!Number.isInteger(entry.id)) return problems.add(item, `"id" must be an integer, got ${JSON.stringify(entry.id)}`)
    if (!('name' in entry)) return problems.add(item, 'missing key "name"')
    if (typeof entry.name !== 'string' || entry.name.trim() === '') return problems.add(item, '"name" must be a non-empty string')
    const id = entry.id as number
    if (categories.has(id)) return problems.add(item, 'the id is used by an earlier category')
    const supercategory = typeof entry.supercategory === 'string' && entry.supercategory.trim() !== '' ? entry.supercategory.trim() : null
    categories.set(id, { name: entry.name.trim(), supercategory })
  })

  // Images: id → project image and frame; null for images reported as unusable.
  const images = new Map<number, FileImage | null>()
  ;(root.images as unknown[]).forEach((entry, i) => {
    const fileName = isRecord(entry) && typeof entry.file_name === 'string' ? ` (${entry.file_name})` : ''
    const item = isRecord(entry) && Number.isInteger(entry.id) ? `image id ${entry.id}${fileName}` : `images[${i}]${fileName}`
    if (!isRecord(entry)) return problems.add(item, 'is not an object')
    if (!('id' in entry)) return problems.add(item, 'missing key "id"')
    if (!Number.isInteger(entry.id)) return problems.add(item, `"id" must be an integer, got ${JSON.stringify(entry.id)}`)
    const id = entry.id as number
    if (images.has(id)) return problems.add(item, 'the id is used by an earlier image')
    images.set(id, null)
    if (!('file_name' in entry)) return problems.add(item, 'missing key "file_name"')
    if (typeof entry.file_name !== 'string' || entry.file_name === '') return problems.add(item, '"file_name" must be a non-empty string')
    const declared = declaredSize(entry)
    if (typeof declared === 'string') return problems.add(item, declared)
    const match = context.index.match(entry.file_name, imageRoot)
    if ('problem' in match) {
      counts.imagesUnmatched++
      return problems.add(item, match.problem)
    }
    let frame: FrameChoice | null = null
    if (declared !== null) {
      const choice = decideFrame(match.image, declared, request.frame)
      if ('problem' in choice) return problems.add(item, choice.problem)
      frame = choice
    }
    counts.imagesMatched++
    images.set(id, { ref: match.image, frame, label: item })
  })

  // Annotations, grouped by image so each image's instances are written together.
  const annotations = root.annotations as unknown[]
  const byImage = new Map<number, number[]>()
  annotations.forEach((entry, i) => {
    const item = annotationLabel(entry, i)
    if (!isRecord(entry)) return problems.add(item, 'is not an object')
    if (!('image_id' in entry)) return problems.add(item, 'missing key "image_id"')
    if (!Number.isInteger(entry.image_id) || !images.has(entry.image_id as number)) {
      return problems.add(item, `image_id ${JSON.stringify(entry.image_id)} is not in the file's images`)
    }
    const list = byImage.get(entry.image_id as number)
    if (list) list.push(i)
    else byImage.set(entry.image_id as number, [i])
  })

  const converted = new Set<number>()
  let done = annotations.length - [...byImage.values()].reduce((n, l) => n + l.length, 0)
  let sincePause = 0
  for (const [imageId, indices] of byImage) {
    const image = images.get(imageId)
    done += indices.length
    sincePause += indices.length
    // An unusable image has been reported once; its annotations go with it.
    if (!image) continue
    for (const i of indices) {
      const entry = annotations[i] as Record<string, unknown>
      const item = annotationLabel(entry, i)
      if (!('category_id' in entry)) {
        problems.add(item, 'missing key "category_id"')
        continue
      }
      const category = Number.isInteger(entry.category_id) ? categories.get(entry.category_id as number) : undefined
      if (category === undefined) {
        problems.add(item, `category_id ${JSON.stringify(entry.category_id)} is not in the file's categories`)
        continue
      }
      if (entry.iscrowd === 1 && request.crowd === 'skip') {
        counts.crowdSkipped++
        continue
      }
      if (!('segmentation' in entry)) {
        problems.add(item, 'missing key "segmentation"')
        continue
      }
      const runs = readInImageFrame(entry.segmentation, image, request.frame)
      if ('problem' in runs) {
        problems.add(item, runs.problem)
        continue
      }
      if (runs.converted) converted.add(image.ref.id)
      if (!context.sink.add({ imageId: image.ref.id, runs: runs.runs, category: category.name, supercategory: category.supercategory })) {
        problems.add(item, 'the segmentation covers no pixel of the image')
      }
    }
    context.sink.endImage()
    if (sincePause >= 1000) {
      sincePause = 0
      context.progress(done, annotations.length, 'importing annotations')
      await yieldToEventLoop()
      throwIfAborted(context.signal)
    }
  }
  counts.imagesConvertedFromStoredFrame += converted.size
  context.progress(annotations.length, annotations.length, 'importing annotations')
}

// Reads a segmentation in the frame its file uses and brings it into the project's upright frame.
function readInImageFrame(
  segmentation: unknown,
  image: FileImage,
  mode: 'auto' | 'oriented' | 'stored'
): { runs: RleRuns; converted: boolean } | { problem: string } {
  let frame = image.frame
  if (frame === null) {
    // No declared size: an RLE's own size says which frame it is in; polygons are taken as upright.
    const size = isRecord(segmentation) && Array.isArray(segmentation.size) ? segmentation.size : null
    const declared = size && Number.isInteger(size[0]) && Number.isInteger(size[1]) ? { height: size[0] as number, width: size[1] as number } : null
    const choice = decideFrame(image.ref, declared, mode)
    if ('problem' in choice) return choice
    frame = choice
  }
  if (frame.frame === 'oriented') {
    const read = readSegmentation(segmentation, frame.height, frame.width)
    return 'problem' in read ? read : { runs: read.runs, converted: false }
  }
  if (Array.isArray(segmentation)) {
    // Polygons are turned before rasterising, so they are rasterised once, in the frame they end up in.
    const problem = checkRings(segmentation)
    if (problem !== null) return { problem }
    const rings = orientRings(segmentation as number[][], frame.width, frame.height, image.ref.orientation)
    try {
      return { runs: frPolygons(rings, image.ref.height, image.ref.width), converted: true }
    } catch (error) {
      return { problem: errorMessage(error) }
    }
  }
  const read = readSegmentation(segmentation, frame.height, frame.width)
  return 'problem' in read ? read : { runs: orientRuns(read.runs, image.ref.orientation), converted: true }
}

function declaredSize(entry: Record<string, unknown>): { width: number; height: number } | null | string {
  const has = 'width' in entry || 'height' in entry
  if (!has) return null
  const { width, height } = entry
  if (!Number.isInteger(width) || (width as number) < 1) return `"width" must be a positive integer, got ${JSON.stringify(width)}`
  if (!Number.isInteger(height) || (height as number) < 1) return `"height" must be a positive integer, got ${JSON.stringify(height)}`
  return { width: width as number, height: height as number }
}

function annotationLabel(entry: unknown, index: number): string {
  return isRecord(entry) && (Number.isInteger(entry.id) || typeof entry.id === 'string') ? `annotation id ${entry.id}` : `annotations[${index}]`
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** Reads and parses a JSON file; a missing or malformed file fails the import with its name and the reason. */
export async function readJson(path: string): Promise<unknown> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (error) {
    throw new ExpectedError('NOT_FOUND', `cannot read ${path}: ${errorMessage(error)}`, { cause: error })
  }
  try {
    return JSON.parse(text)
  } catch (error) {
    throw new ExpectedError('INVALID_FILE', `${basename(path)} is not valid JSON: ${errorMessage(error)}`, { cause: error })
  }
}
