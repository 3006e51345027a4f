// Images of every awkward kind through the ROSE pipeline: what matters is that masks land on the right
// pixels of the oriented frame (the frame masks are stored in). The same oriented pixels stored under
// EXIF orientations 1–8, or as grey, 16-bit or alpha files, must give the very same masks; a 1×1 image
// and a 20000×15000 one must work, the latter without image-sized buffers.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { ModelPack } from '../../../../src-main/engine/pack/model-pack'
import { RosePipeline, type DenseResult } from '../../../../src-main/engine/rose/rose-pipeline'
import type { SessionPool } from '../../../../src-main/engine/session-pool'
import type { Orientation } from '../../../../src-main/images/orientation'
import { area, frBbox, fromString, iou, toBbox, type RleLike } from '../../../../src-main/masks/rle'
import { maskIou, sceneRgb, shapeMask, storeWithOrientation, testPool, type Shape } from '../engine-fixtures'
import { GOLDEN_PACK_DIR } from './golden-files'

const W = 120
const H = 90
const SHAPES: readonly Shape[] = [
  { kind: 'rect', x: 14, y: 12, width: 40, height: 30, fill: '#d02020' },
  { kind: 'circle', cx: 84, cy: 58, r: 20, fill: '#2040e0' }
]
const BACKGROUND = '#70b060'

/** The best IoU of any instance of a result with a truth mask. */
function bestIou(result: DenseResult, truth: RleLike): number {
  if (result.instances.length === 0) return 0
  return Math.max(...iou(result.instances.map((i) => i.rle), [truth], [false]).map((row) => row[0]!))
}

function summary(result: DenseResult): unknown {
  return { kept: result.keptPatches, instances: result.instances.map((i) => ({ patch: i.patch, name: i.name, rle: i.rle, score: i.score })) }
}

describe('image robustness of the ROSE pipeline', () => {
  let dir: string
  let pool: SessionPool
  let pack: ModelPack
  let pipeline: RosePipeline
  let rgb: Buffer
  let reference: DenseResult

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rose-robust-'))
    pool = testPool()
    pack = await ModelPack.open(GOLDEN_PACK_DIR, pool, { verifyHashes: false })
    pipeline = new RosePipeline(pack, { cacheSize: 2 })
    rgb = await sceneRgb(W, H, BACKGROUND, SHAPES)
    const path = join(dir, 'reference.png')
    await sharp(rgb, { raw: { width: W, height: H, channels: 3 } }).png().toFile(path)
    reference = await pipeline.dense({ path })
  }, 60_000)

  afterAll(async () => {
    pipeline?.dispose()
    await pack?.dispose()
    await pool?.dispose()
    if (dir) rmSync(dir, { recursive: true, force: true })
  })

  test('the reference scene gives masks in the oriented frame’s size, on the drawn shapes', () => {
    expect(reference.width).toBe(W)
    expect(reference.height).toBe(H)
    for (const inst of reference.instances) expect(inst.rle.size).toEqual([H, W])
    // The comparisons below are only worth something if the reference itself found the shapes.
    const found = SHAPES.map((shape) => bestIou(reference, shapeMask(W, H, shape)))
    console.log(`reference: ${reference.instances.length} instances (${reference.instances.map((i) => i.name).join(', ')}); best IoU with the rectangle ${found[0]!.toFixed(3)}, the circle ${found[1]!.toFixed(3)}`)
    for (const value of found) expect(value).toBeGreaterThanOrEqual(0.8)
  })

  test.each([1, 2, 3, 4, 5, 6, 7, 8] as Orientation[])('EXIF orientation %i gives the masks of the oriented frame', async (orientation) => {
    const path = join(dir, `orientation-${orientation}.png`)
    writeFileSync(path, await storeWithOrientation(rgb, W, H, orientation))
    const result = await pipeline.dense({ path })
    expect([result.width, result.height]).toEqual([W, H])
    expect(summary(result)).toEqual(summary(reference))
    // A box prompt given in the oriented frame lands on the same pixels too.
    const boxed = await pipeline.segment({ path }, { box: [14, 12, 40, 30] })
    const reference1 = await pipeline.segment({ path: join(dir, 'reference.png') }, { box: [14, 12, 40, 30] })
    expect(boxed.rle).toEqual(reference1.rle)
    expect(maskIou(boxed.rle, shapeMask(W, H, SHAPES[0]!))).toBeGreaterThanOrEqual(0.8)
  }, 60_000)

  test('grey, 16-bit and alpha files of the same pixels give the same masks', async () => {
    const grey = Buffer.alloc(W * H)
    for (let i = 0; i < W * H; i++) grey[i] = rgb[3 * i + 1]!
    const greyPath = join(dir, 'grey.png')
    await sharp(grey, { raw: { width: W, height: H, channels: 1 } }).png().toFile(greyPath)
    const greyRgbPath = join(dir, 'grey-rgb.png')
    const greyRgb = Buffer.alloc(W * H * 3)
    for (let i = 0; i < W * H; i++) greyRgb.fill(grey[i]!, 3 * i, 3 * i + 3)
    await sharp(greyRgb, { raw: { width: W, height: H, channels: 3 } }).png().toFile(greyRgbPath)
    expect(summary(await pipeline.dense({ path: greyPath }))).toEqual(summary(await pipeline.dense({ path: greyRgbPath })))

    const sixteenPath = join(dir, 'sixteen.png')
    await sharp(rgb, { raw: { width: W, height: H, channels: 3 } }).toColourspace('rgb16').png().toFile(sixteenPath)
    const meta = await sharp(sixteenPath).metadata()
    expect(meta.depth).toBe('ushort')
    expect(summary(await pipeline.dense({ path: sixteenPath }))).toEqual(summary(reference))

    const rgba = Buffer.alloc(W * H * 4)
    for (let i = 0; i < W * H; i++) {
      rgba.set(rgb.subarray(3 * i, 3 * i + 3), 4 * i)
      rgba[4 * i + 3] = 255
    }
    const alphaPath = join(dir, 'alpha.png')
    await sharp(rgba, { raw: { width: W, height: H, channels: 4 } }).png().toFile(alphaPath)
    expect((await sharp(alphaPath).metadata()).hasAlpha).toBe(true)
    expect(summary(await pipeline.dense({ path: alphaPath }))).toEqual(summary(reference))
  }, 60_000)

  test('an image prefetched while another runs is taken from the prefetch, even once its file is gone', async () => {
    const path = join(dir, 'prefetched.png')
    await sharp(rgb, { raw: { width: W, height: H, channels: 3 } }).png().toFile(path)
    const image = { path, key: 'prefetched' }
    await pipeline.prefetch(image)
    rmSync(path)
    expect(summary(await pipeline.dense(image))).toEqual(summary(reference))
    // Without a prefetch the missing file is reported with its name.
    await expect(pipeline.dense({ path, key: 'not-prefetched' })).rejects.toThrow(`${path}: cannot read file: file not found`)
  }, 60_000)

  test('a 1×1 image gives 1×1 masks or none', async () => {
    const path = join(dir, 'one.png')
    await sharp({ create: { width: 1, height: 1, channels: 3, background: '#ff0000' } }).png().toFile(path)
    const result = await pipeline.dense({ path })
    expect([result.width, result.height]).toEqual([1, 1])
    for (const inst of result.instances) {
      expect(inst.rle.size).toEqual([1, 1])
      expect(inst.area).toBe(1)
    }
    const boxed = await pipeline.segment({ path }, { box: [0, 0, 1, 1] })
    expect(boxed.rle.size).toEqual([1, 1])
  }, 60_000)

  test('a 20000×15000 image is segmented at full resolution without image-sized buffers', async () => {
    const path = join(dir, 'huge.png')
    // A red rectangle on blue: cheap to write and to decode, and the masks cover large areas (the costly case).
    const rect = { x: 5000, y: 4000, width: 8000, height: 6000 }
    await sharp({ create: { width: 20000, height: 15000, channels: 3, background: '#3080c0' }, limitInputPixels: false })
      .composite([{ input: { create: { width: rect.width, height: rect.height, channels: 3, background: '#d02020' } }, left: rect.x, top: rect.y }])
      .png({ compressionLevel: 1 })
      .toFile(path)
    const before = process.memoryUsage().rss
    let peak = before
    const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20)
    let result: DenseResult
    let boxed
    try {
      result = await pipeline.dense({ path })
      boxed = await pipeline.segment({ path }, { box: [5000, 4000, 8000, 6000] })
    } finally {
      clearInterval(timer)
    }
    expect([result.width, result.height]).toEqual([20000, 15000])
    for (const inst of result.instances) {
      expect(inst.rle.size).toEqual([15000, 20000])
      expect(area(fromString(inst.rle.counts, 15000, 20000))).toBe(inst.area)
    }
    expect(boxed.rle.size).toEqual([15000, 20000])
    expect(toBbox(fromString(boxed.rle.counts, 15000, 20000))).toEqual(boxed.bbox)
    // Both land on the rectangle's pixels at full resolution.
    // COCO's box rasteriser: runs straight from the corners, no 300 MB pixel buffer.
    const truth = frBbox([rect.x, rect.y, rect.width, rect.height], 15000, 20000)
    expect(area(truth)).toBe(rect.width * rect.height)
    const dense = bestIou(result, truth)
    const box = maskIou(boxed.rle, truth)
    console.log(`20000×15000: ${result.instances.length} instances, best IoU with the rectangle ${dense.toFixed(3)}; box prompt IoU ${box.toFixed(3)}`)
    expect(dense).toBeGreaterThanOrEqual(0.8)
    expect(box).toBeGreaterThanOrEqual(0.8)
    // One float32 mask at this size would be 1.2 GB, one byte mask 300 MB; the pipeline needs neither.
    expect(peak - before).toBeLessThan(400 * 1024 * 1024)
  }, 180_000)
})
