import { join } from 'node:path'
import type { ExportOptionsValue } from '../../src-preload/contract'
import { decodeRegion } from '../masks/rle'
import { writeFileAtomic } from '../common/atomic-file'
import { copyPageImages, type ExportContext, type WriterResult } from './export-context'
import { instanceLabel, type PlannedInstance, type PlannedItem } from './export-plan'
import { checkMask, type CheckedMask } from './instance-mask'
import { encodeGray16Png, encodeIndexedPng } from './png-encoder'

type MasksOptions = Extract<ExportOptionsValue, { format: 'masks' }>

/** Colour of class 0, the background. */
export const BACKGROUND_COLOR = '#000000'

/**
 * Writes label images: `semantic/…/<name>.png`, an 8-bit palette PNG whose pixel values are class indices
 * (0 background, then the exported categories in id order; 16-bit grey past 255 classes), and
 * `instance/…/<name>.png`, a 16-bit grey PNG whose values number the image's instances (0 background),
 * with `<name>.json` beside it saying which instance and category each number is. `classes.json` and
 * `classes.txt` list the classes with their colours. Where instances overlap, smaller ones are painted
 * over larger ones, so an object on top of "stuff" keeps its pixels.
 */
export async function writeMasks(context: ExportContext): Promise<WriterResult> {
  const { plan, destination, signal } = context
  const options = plan.options as MasksOptions
  const classOf = new Map(plan.categories.map((c, i) => [c.id, i + 1]))
  const palette = [BACKGROUND_COLOR, ...plan.categories.map((c) => c.color)]
  const sub = (kind: string, item: PlannedItem) => (item.image.side === null ? join(destination, kind) : join(destination, kind, item.image.side))
  let images = 0
  let instances = 0
  let copied = 0
  let done = 0
  for await (const page of plan.pages(signal, context.skipped)) {
    const copies = await copyPageImages(context, page, (item) => sub('images', item))
    copied += copies.copied
    for (const item of page) {
      const { image } = item
      done += 1 + item.instances.length
      if (copies.failed.has(image.id)) continue
      const masks: { instance: PlannedInstance; mask: CheckedMask }[] = []
      for (const instance of item.instances) {
        const mask = checkMask(instance, image)
        if ('reason' in mask) context.skipped.push({ item: instanceLabel(instance.id, image.id, image.path), reason: mask.reason })
        else masks.push({ instance, mask })
      }
      // Instance numbers follow instance ids; painting goes largest first.
      const numbered = masks.slice(0, 65535).map((m, i) => ({ ...m, value: i + 1 }))
      for (const m of masks.slice(65535)) {
        context.skipped.push({ item: instanceLabel(m.instance.id, image.id, image.path), reason: 'more than 65,535 instances on one image' })
      }
      const painting = [...numbered].sort((a, b) => b.mask.area - a.mask.area)
      const pixels = image.width * image.height
      const names = image.names.stem.split('/')
      if (options.semantic) {
        const wide = palette.length > 256
        const classes = wide ? new Uint16Array(pixels) : new Uint8Array(pixels)
        for (const m of painting) paint(classes, image.width, m.mask, classOf.get(m.instance.category.id)!)
        const png = wide
          ? await encodeGray16Png(classes as Uint16Array, image.width, image.height)
          : await encodeIndexedPng(classes as Uint8Array, image.width, image.height, palette)
        await writeFileAtomic(join(sub('semantic', item), ...names) + '.png', png)
      }
      if (options.instance) {
        const values = new Uint16Array(pixels)
        for (const m of painting) paint(values, image.width, m.mask, m.value)
        await writeFileAtomic(join(sub('instance', item), ...names) + '.png', await encodeGray16Png(values, image.width, image.height))
        const list = numbered.map((m) => ({
          value: m.value,
          id: m.instance.id,
          category_id: m.instance.category.id,
          class_index: classOf.get(m.instance.category.id),
          category: m.instance.category.name,
          score: m.instance.score
        }))
        const sidecar = { image: image.names.relativeToRoot, width: image.width, height: image.height, instances: list }
        await writeFileAtomic(join(sub('instance', item), ...names) + '.json', `${JSON.stringify(sidecar, null, 1)}\n`)
      }
      instances += numbered.length
      images++
    }
    context.progress(done, 'writing masks')
  }
  const classes = palette.map((color, index) => {
    const category = index === 0 ? null : plan.categories[index - 1]!
    return { index, category_id: category?.id ?? 0, name: category?.name ?? 'background', color }
  })
  await writeFileAtomic(join(destination, 'classes.json'), `${JSON.stringify(classes, null, 1)}\n`)
  await writeFileAtomic(join(destination, 'classes.txt'), `${classes.map((c) => c.name).join('\n')}\n`)
  return { files: ['classes.json', 'classes.txt'], images, instances, copiedImages: copied, polygons: null }
}

// Paints a mask's pixels with `value`, decoding only its bounding box.
function paint(target: Uint8Array | Uint16Array, width: number, mask: CheckedMask, value: number): void {
  const [bx, by, bw, bh] = mask.bbox
  const region = decodeRegion(mask.runs, { x: bx, y: by, width: bw, height: bh })
  for (let y = 0; y < bh; y++) {
    const row = (by + y) * width + bx
    for (let x = 0; x < bw; x++) if (region[y * bw + x] !== 0) target[row + x] = value
  }
}
