import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'
import { SamSegmenter } from '../../../src-main/engine/interactive/sam-segmenter'
import { openImage } from '../../../src-main/images/open-image'
import { area, toBbox, type Rle } from '../../../src-main/masks/rle'
import { maskIou, testPool } from './engine-fixtures'

// Ground truth on scikit-image's photographs: see test/fixtures/real-photos/README.md.
const FOLDER = fileURLToPath(new URL('../../fixtures/real-photos/', import.meta.url))

interface Coco {
  images: { id: number; file_name: string; width: number; height: number; orientation: number }[]
  categories: { id: number; name: string }[]
  annotations: { id: number; image_id: number; category_id: number; segmentation: Rle; area: number; bbox: number[] }[]
}
const coco = JSON.parse(readFileSync(`${FOLDER}annotations.json`, 'utf8')) as Coco

describe('box prompts on real photographs', () => {
  const pool = testPool()
  const segmenter = new SamSegmenter(pool)
  afterAll(async () => {
    await segmenter.dispose()
    await pool.dispose()
  })

  it('has a consistent test set: ≥ 8 objects over ≥ 4 images, area and bbox from the masks, masks in the oriented frame', async () => {
    expect(coco.images.length).toBeGreaterThanOrEqual(4)
    expect(coco.annotations.length).toBeGreaterThanOrEqual(8)
    for (const image of coco.images) {
      const opened = await openImage(FOLDER + image.file_name)
      expect([opened.width, opened.height, opened.orientation]).toEqual([image.width, image.height, image.orientation])
    }
    for (const a of coco.annotations) {
      const image = coco.images.find((i) => i.id === a.image_id)!
      expect(a.segmentation.size).toEqual([image.height, image.width])
      expect(area(a.segmentation)).toBe(a.area)
      expect(toBbox(a.segmentation)).toEqual(a.bbox)
    }
  })

  it('reaches a mean mask IoU ≥ 0.70 with the truth mask’s bbox as the box', async () => {
    const rows: string[] = []
    const ious: number[] = []
    for (const image of coco.images) {
      for (const a of coco.annotations.filter((x) => x.image_id === image.id)) {
        const [x, y, w, h] = a.bbox as [number, number, number, number]
        const result = await segmenter.segment({ path: FOLDER + image.file_name }, { box: [x, y, w, h] })
        const iou = maskIou(result.rle, a.segmentation)
        ious.push(iou)
        const name = coco.categories.find((c) => c.id === a.category_id)!.name
        rows.push(`${image.file_name.padEnd(14)} ${name.padEnd(9)} IoU ${iou.toFixed(3)}  predicted ${result.score.toFixed(3)}`)
      }
    }
    const mean = ious.reduce((s, v) => s + v, 0) / ious.length
    console.log(`${rows.join('\n')}\nmean mask IoU over ${ious.length} objects in ${coco.images.length} photographs: ${mean.toFixed(3)}`)
    expect(mean).toBeGreaterThanOrEqual(0.7)
  })
})
