import { dirname, join, relative, sep } from 'node:path'
import type { ExportOptionsValue } from '../../src-preload/contract'
import { resolveProjectPath } from '../images/project-path'
import { writeFileAtomic } from '../common/atomic-file'
import { copyPageImages, polygonOptionsOf, polygonsFor, PolygonStats, type ExportContext, type WriterResult } from './export-context'
import { instanceLabel, type PlannedItem } from './export-plan'
import { checkMask } from './instance-mask'

type LabelmeOptions = Extract<ExportOptionsValue, { format: 'labelme' }>

/** The labelme file version written; labelme 5.x opens it. */
export const LABELME_VERSION = '5.5.0'

/**
 * Writes one labelme JSON per image, at `<destination>/[train|val/]<image path without extension>.json`.
 * labelme has no holes and one polygon per shape: each part of an instance is a shape, the parts of one
 * instance share a `group_id`, and holes are cut in (labelme and PIL fill even-odd) or dropped. Copied
 * images sit beside their JSON; otherwise `imagePath` points from the JSON to the original file.
 */
export async function writeLabelme(context: ExportContext): Promise<WriterResult> {
  const { plan, destination, signal } = context
  const options = plan.options as LabelmeOptions
  const stats = new PolygonStats()
  const polygonOptions = polygonOptionsOf(options)
  const folderOf = (item: PlannedItem) => (item.image.side === null ? destination : join(destination, item.image.side))
  let images = 0
  let instances = 0
  let copied = 0
  let done = 0
  for await (const page of plan.pages(signal, context.skipped)) {
    const copies = await copyPageImages(context, page, folderOf)
    copied += copies.copied
    for (const item of page) {
      const { image } = item
      done += 1 + item.instances.length
      if (copies.failed.has(image.id)) continue
      const jsonPath = join(folderOf(item), ...`${image.names.stem}.json`.split('/'))
      const shapes: object[] = []
      let group = 0
      for (const instance of item.instances) {
        const mask = checkMask(instance, image)
        if ('reason' in mask) {
          context.skipped.push({ item: instanceLabel(instance.id, image.id, image.path), reason: mask.reason })
          continue
        }
        const { rings } = polygonsFor(mask, polygonOptions, stats)
        const groupId = rings.length > 1 ? ++group : null
        for (const ring of rings) {
          const points: [number, number][] = []
          for (let i = 0; i < ring.length; i += 2) points.push([ring[i]!, ring[i + 1]!])
          shapes.push({
            label: instance.category.name,
            points,
            group_id: groupId,
            description: instance.status === 'proposed' && instance.score !== null ? `score ${instance.score}` : '',
            shape_type: 'polygon',
            flags: {},
            mask: null
          })
        }
        instances++
      }
      const imagePath = options.copyImages
        ? image.names.copyName.split('/').pop()!
        : relative(dirname(jsonPath), resolveProjectPath(context.projectRoot, image.path)).split(sep).join('/')
      const file = {
        version: LABELME_VERSION,
        flags: {},
        shapes,
        imagePath,
        imageData: null,
        imageHeight: image.height,
        imageWidth: image.width
      }
      await writeFileAtomic(jsonPath, `${JSON.stringify(file, null, 2)}\n`)
      images++
    }
    context.progress(done, 'writing labelme files')
  }
  return { files: [], images, instances, copiedImages: copied, polygons: stats.summary() }
}
