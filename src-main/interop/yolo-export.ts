import { join } from 'node:path'
import type { ExportOptionsValue } from '../../src-preload/contract'
import { writeFileAtomic } from '../common/atomic-file'
import { copyPageImages, polygonOptionsOf, polygonsFor, PolygonStats, type ExportContext, type WriterResult } from './export-context'
import { instanceLabel, type PlannedItem } from './export-plan'
import { checkMask } from './instance-mask'
import { joinRings } from './mask-polygons'

type YoloOptions = Extract<ExportOptionsValue, { format: 'yolo-seg' }>

/**
 * Writes a YOLO segmentation dataset the way ultralytics reads it: `images/<side>/…`, `labels/<side>/….txt`
 * (ultralytics finds a label by swapping /images/ for /labels/ and the extension for .txt) and `data.yaml`
 * with the class names. Each line is `class x1 y1 x2 y2 …`, coordinates normalised to 0–1 by the oriented
 * image size. One line holds one object, so an instance's parts and holes are joined into one ring with
 * zero-width cuts, as ultralytics' own COCO converter joins parts. Class numbers are the exported
 * categories in id order, from 0.
 */
export async function writeYoloSeg(context: ExportContext): Promise<WriterResult> {
  const { plan, destination, signal } = context
  const options = plan.options as YoloOptions
  const stats = new PolygonStats()
  const polygonOptions = polygonOptionsOf(options)
  const classOf = new Map(plan.categories.map((c, i) => [c.id, i]))
  const sideOf = (item: PlannedItem) => item.image.side ?? 'train'
  let images = 0
  let instances = 0
  let copied = 0
  let done = 0
  const sides = new Set<string>()
  for await (const page of plan.pages(signal, context.skipped)) {
    const copies = await copyPageImages(context, page, (item) => join(destination, 'images', sideOf(item)))
    copied += copies.copied
    for (const item of page) {
      const { image } = item
      done += 1 + item.instances.length
      if (copies.failed.has(image.id)) continue
      sides.add(sideOf(item))
      const lines: string[] = []
      for (const instance of item.instances) {
        const mask = checkMask(instance, image)
        if ('reason' in mask) {
          context.skipped.push({ item: instanceLabel(instance.id, image.id, image.path), reason: mask.reason })
          continue
        }
        const ring = joinRings(polygonsFor(mask, polygonOptions, stats).rings)
        const coordinates: string[] = []
        for (let i = 0; i < ring.length; i += 2) {
          coordinates.push(normalised(ring[i]!, image.width), normalised(ring[i + 1]!, image.height))
        }
        lines.push(`${classOf.get(instance.category.id)} ${coordinates.join(' ')}`)
        instances++
      }
      const labelPath = join(destination, 'labels', sideOf(item), ...`${image.names.stem}.txt`.split('/'))
      // An image without objects still gets its (empty) file: ultralytics then counts it as background.
      await writeFileAtomic(labelPath, lines.length === 0 ? '' : `${lines.join('\n')}\n`)
      images++
    }
    context.progress(done, 'writing YOLO labels')
  }
  await writeFileAtomic(join(destination, 'data.yaml'), dataYaml(plan.categories, sides.has('val')))
  return { files: ['data.yaml'], images, instances, copiedImages: copied, polygons: stats.summary() }
}

// Six decimals keep a vertex within 0.005 px on a 10,000 px side, well inside the 0.4 px that
// pycocotools' and OpenCV's rasterisers tolerate around a pixel corner.
function normalised(value: number, size: number): string {
  return String(Math.round((value / size) * 1e6) / 1e6)
}

// No `path:` key: ultralytics then resolves train/val against the folder holding data.yaml, so the export
// can be moved. YAML double-quoted scalars take JSON string escapes.
function dataYaml(categories: readonly { name: string }[], hasVal: boolean): string {
  const names = categories.map((c, i) => `  ${i}: ${JSON.stringify(c.name)}`)
  return [
    '# YOLO segmentation dataset exported by ROSE Studio',
    'train: images/train',
    hasVal ? 'val: images/val' : 'val: images/train # no split was asked for: validation reuses the training images',
    `nc: ${categories.length}`,
    categories.length === 0 ? 'names: {}' : 'names:',
    ...names,
    ''
  ].join('\n')
}
