/**
 * The rules a COCO instances file must follow for the reference COCO API and the training frameworks to
 * read it without surprises, checked independently of the exporter: every violation is returned as text.
 */
import { decode, decompress, frPolygons, type RleRuns } from '../../../src-main/masks/rle'

/** The parts of a COCO file the checks read. */
export interface CocoFile {
  info: Record<string, unknown>
  licenses: unknown[]
  categories: { id: number; name: string; supercategory: string }[]
  images: { id: number; file_name: string; width: number; height: number }[]
  annotations: {
    id: number
    image_id: number
    category_id: number
    segmentation: { size: [number, number]; counts: string } | number[][]
    area: number
    bbox: [number, number, number, number]
    iscrowd: number
    score?: number
  }[]
}

/** Every way `coco` breaks the rules; empty when it conforms. */
export function cocoViolations(coco: CocoFile): string[] {
  const out: string[] = []
  for (const key of ['info', 'licenses', 'categories', 'images', 'annotations'] as const) {
    if (!(key in coco)) out.push(`missing top-level key ${key}`)
  }
  const categoryIds = new Set<number>()
  for (const c of coco.categories) {
    if (!Number.isInteger(c.id) || c.id < 1) out.push(`category ${c.name}: id ${c.id} is not a positive integer`)
    if (categoryIds.has(c.id)) out.push(`category id ${c.id} repeats`)
    categoryIds.add(c.id)
    if (typeof c.name !== 'string' || c.name === '') out.push(`category ${c.id}: empty name`)
    if (typeof c.supercategory !== 'string') out.push(`category ${c.id}: supercategory is not a string`)
  }
  const images = new Map<number, { width: number; height: number }>()
  for (const image of coco.images) {
    if (images.has(image.id)) out.push(`image id ${image.id} repeats`)
    if (!Number.isInteger(image.width) || !Number.isInteger(image.height) || image.width < 1 || image.height < 1) {
      out.push(`image ${image.id}: bad size ${image.width}x${image.height}`)
    }
    if (typeof image.file_name !== 'string' || image.file_name === '') out.push(`image ${image.id}: no file_name`)
    images.set(image.id, image)
  }
  const annotationIds = new Set<number>()
  for (const a of coco.annotations) {
    const where = `annotation ${a.id}`
    if (annotationIds.has(a.id)) out.push(`${where}: id repeats`)
    annotationIds.add(a.id)
    const image = images.get(a.image_id)
    if (!image) {
      out.push(`${where}: image ${a.image_id} is not in images`)
      continue
    }
    if (!categoryIds.has(a.category_id)) out.push(`${where}: category ${a.category_id} is not in categories`)
    if (a.iscrowd !== 0) out.push(`${where}: iscrowd is ${a.iscrowd}, not 0`)
    let runs: RleRuns
    if (Array.isArray(a.segmentation)) {
      for (const [k, ring] of a.segmentation.entries()) {
        if (ring.length % 2 !== 0 || ring.length < 6) out.push(`${where}: polygon ${k} has ${ring.length} coordinates`)
      }
      runs = frPolygons(a.segmentation, image.height, image.width)
    } else {
      const [h, w] = a.segmentation.size
      if (h !== image.height || w !== image.width) out.push(`${where}: RLE size [${h}, ${w}] is not [height, width] [${image.height}, ${image.width}]`)
      runs = decompress(a.segmentation)
    }
    const pixels = decode(runs) // column-major
    const [h, w] = runs.size
    let area = 0
    let x0 = Infinity
    let y0 = Infinity
    let x1 = -1
    let y1 = -1
    for (let x = 0; x < w; x++) {
      for (let y = 0; y < h; y++) {
        if (pixels[x * h + y] === 0) continue
        area++
        x0 = Math.min(x0, x)
        y0 = Math.min(y0, y)
        x1 = Math.max(x1, x)
        y1 = Math.max(y1, y)
      }
    }
    if (area === 0) out.push(`${where}: empty mask`)
    if (!Array.isArray(a.segmentation) && a.area !== area) out.push(`${where}: area ${a.area} but the mask has ${area} pixels`)
    const tight = area === 0 ? [0, 0, 0, 0] : [x0, y0, x1 - x0 + 1, y1 - y0 + 1]
    if (a.bbox.join() !== tight.join()) out.push(`${where}: bbox ${a.bbox.join()} is not the tight box ${tight.join()}`)
  }
  return out
}
