import { basename, join } from 'node:path'
import type { ExportOptionsValue } from '../../src-preload/contract'
import { AtomicFileWriter } from './atomic-file-writer'
import type { SplitSide } from './dataset-split'
import { copyPageImages, polygonOptionsOf, polygonsFor, PolygonStats, type ExportContext, type WriterResult } from './export-context'
import { instanceLabel } from './export-plan'
import { checkMask } from './instance-mask'

type CocoOptions = Extract<ExportOptionsValue, { format: 'coco' }>

interface SideFiles {
  readonly name: string
  readonly annotations: AtomicFileWriter
  readonly results: AtomicFileWriter | null
  images: number
  instances: number
  resultCount: number
}

/** Folder (inside the destination) that copied images go to; `file_name` is relative to it then. */
export const COCO_IMAGE_FOLDER = 'images'

/**
 * Writes COCO instances files (`instances.json`, or `instances_train.json` and `instances_val.json` with a
 * split) and optionally COCO results files of the proposed instances. The JSON is streamed: images in a
 * first pass over the plan, annotations in a second, each file buffered a megabyte at a time and renamed
 * into place only when complete. Image and annotation ids are the project's image and instance ids, and
 * category ids the project's, so they stay the same from one export to the next.
 */
export async function writeCoco(context: ExportContext): Promise<WriterResult> {
  const { plan, destination, signal } = context
  const options = plan.options as CocoOptions
  const sides: (SplitSide | null)[] = options.split === null ? [null] : ['train', 'val']
  const files = new Map<SplitSide | null, SideFiles>()
  const all: AtomicFileWriter[] = []
  const polygonStats = options.segmentation === 'polygon' ? new PolygonStats() : null
  const polygonOptions = polygonOptionsOf(options)
  const failed = new Set<number>()
  let copied = 0
  let done = 0
  try {
    for (const side of sides) {
      const suffix = side === null ? '' : `_${side}`
      const annotations = await AtomicFileWriter.create(join(destination, `instances${suffix}.json`))
      all.push(annotations)
      const results = options.resultsFile ? await AtomicFileWriter.create(join(destination, `results${suffix}.json`)) : null
      if (results) all.push(results)
      files.set(side, { name: `instances${suffix}.json`, annotations, results, images: 0, instances: 0, resultCount: 0 })
      annotations.push(header(basename(context.projectRoot), plan.categories))
      results?.push('[')
    }

    for await (const page of plan.pages(signal, null)) {
      const copies = await copyPageImages(context, page, () => join(destination, COCO_IMAGE_FOLDER))
      copied += copies.copied
      for (const item of page) {
        done++
        const { image } = item
        if (copies.failed.has(image.id)) {
          failed.add(image.id)
          continue
        }
        const file = files.get(image.side)!
        const fileName = options.copyImages ? image.names.copyName : image.names.relativeToRoot
        file.annotations.push(
          `${file.images++ === 0 ? '\n' : ',\n'}${JSON.stringify({ id: image.id, file_name: fileName, width: image.width, height: image.height })}`
        )
      }
      for (const file of files.values()) await file.annotations.drain()
      context.progress(done, 'writing images')
    }
    for (const file of files.values()) file.annotations.push('\n],\n"annotations": [')

    for await (const page of plan.pages(signal, context.skipped)) {
      for (const { image, instances } of page) {
        if (failed.has(image.id)) continue
        const file = files.get(image.side)!
        for (const instance of instances) {
          done++
          const mask = checkMask(instance, image)
          if ('reason' in mask) {
            context.skipped.push({ item: instanceLabel(instance.id, image.id, image.path), reason: mask.reason })
            continue
          }
          const rle = { size: [image.height, image.width], counts: instance.counts }
          if (plan.exports(instance)) {
            const segmentation =
              polygonStats === null ? rle : polygonsFor(mask, polygonOptions, polygonStats).rings
            const annotation: Record<string, unknown> = {
              id: instance.id,
              image_id: image.id,
              category_id: instance.category.id,
              segmentation,
              area: mask.area,
              bbox: mask.bbox,
              iscrowd: 0
            }
            if (instance.status === 'proposed') annotation.score = instance.score
            file.annotations.push(`${file.instances++ === 0 ? '\n' : ',\n'}${JSON.stringify(annotation)}`)
          }
          if (file.results !== null && instance.status === 'proposed') {
            // COCO evaluation needs a score; a proposal without one counts as certain.
            const result = { image_id: image.id, category_id: instance.category.id, segmentation: rle, bbox: mask.bbox, score: instance.score ?? 1 }
            file.results.push(`${file.resultCount++ === 0 ? '\n' : ',\n'}${JSON.stringify(result)}`)
          }
        }
      }
      for (const writer of all) await writer.drain()
      context.progress(done, 'writing annotations')
    }

    for (const file of files.values()) {
      file.annotations.push('\n]\n}\n')
      file.results?.push('\n]\n')
    }
    for (const writer of all) await writer.commit()
  } catch (error) {
    await Promise.all(all.map((writer) => writer.abort()))
    throw error
  }
  const sideFiles = [...files.values()]
  return {
    files: sideFiles.flatMap((f) => (f.results ? [f.name, f.name.replace('instances', 'results')] : [f.name])),
    images: sideFiles.reduce((n, f) => n + f.images, 0),
    instances: sideFiles.reduce((n, f) => n + f.instances, 0),
    copiedImages: copied,
    polygons: polygonStats?.summary() ?? null
  }
}

// info, licenses and categories come first, so a reader meets the category table before any annotation.
function header(projectName: string, categories: readonly { id: number; name: string; supercategory: string | null; synonyms: readonly string[] }[]): string {
  const created = new Date()
  const info = {
    description: `${projectName}, exported by ROSE Studio`,
    version: '1.0',
    year: created.getUTCFullYear(),
    contributor: '',
    url: '',
    date_created: created.toISOString()
  }
  const cats = categories.map((c) => {
    const entry: Record<string, unknown> = { id: c.id, name: c.name, supercategory: c.supercategory ?? '' }
    if (c.synonyms.length > 0) entry.synonyms = c.synonyms
    return JSON.stringify(entry)
  })
  return `{\n"info": ${JSON.stringify(info)},\n"licenses": [],\n"categories": [\n${cats.join(',\n')}\n],\n"images": [`
}
