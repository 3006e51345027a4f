// Golden parity of the engine with the trainer (model-pack.md section 11), through the engine's own
// code: the pack loader's checked sessions, the tokenizer, the preprocessing and the pipelines.
// Tolerances: graph outputs |engine − torch| ≤ atol + rtol·|torch| as golden.json states (1e-4, 1e-3);
// tokens, kept patches, survivors, patch choices and names exactly; objectness scores within 1e-5;
// masks within MASK_PIXEL_TOLERANCE differing pixels (a logit within ~1e-4 of the threshold may flip).
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { fromString, merge, area, type Rle } from '../../../../src-main/masks/rle'
import { ModelPack } from '../../../../src-main/engine/pack/model-pack'
import type { GraphName } from '../../../../src-main/engine/pack/manifest'
import { letterbox } from '../../../../src-main/engine/rose/frame'
import { frameTensor, readFramePixels } from '../../../../src-main/engine/rose/preprocess'
import { categoryText, chatText, cleanName } from '../../../../src-main/engine/rose/prompt'
import { RosePipeline } from '../../../../src-main/engine/rose/rose-pipeline'
import { openImage } from '../../../../src-main/images/open-image'
import type { SessionPool } from '../../../../src-main/engine/session-pool'
import { testPool } from '../engine-fixtures'
import { compareFloats, GOLDEN_PACK_DIR, GOLDEN_PACK_PRESENT, GoldenFiles, type GoldenRle } from './golden-files'

/** Pixels two masks of the same object may differ by (logits within float error of the threshold). */
const MASK_PIXEL_TOLERANCE = 3
/** Objectness scores (sigmoid) of the engine and the trainer. */
const SCORE_TOLERANCE = 1e-5

function pixelDifference(a: Rle, b: GoldenRle): number {
  const ra = fromString(a.counts, a.size[0], a.size[1])
  const rb = fromString(b.counts, b.size[0], b.size[1])
  return area(merge([ra, rb])) - area(merge([ra, rb], true))
}

test('the golden pack is installed', () => {
  expect(GOLDEN_PACK_PRESENT, `no pack with golden files at ${GOLDEN_PACK_DIR}`).toBe(true)
})

describe('engine parity with the trainer on the golden files', () => {
  let pool: SessionPool
  let pack: ModelPack
  let pipeline: RosePipeline
  let golden: GoldenFiles
  let dir: string
  const images = new Map<string, string>()

  beforeAll(async () => {
    pool = testPool()
    pack = await ModelPack.open(GOLDEN_PACK_DIR, pool, { verifyHashes: true })
    pipeline = new RosePipeline(pack)
    golden = new GoldenFiles(GOLDEN_PACK_DIR)
    dir = mkdtempSync(join(tmpdir(), 'rose-golden-'))
    for (const c of golden.dense) {
      const path = join(dir, `${c.image}.png`)
      await golden.writeImage(c.image, path)
      images.set(c.image, path)
    }
  }, 60_000)

  afterAll(async () => {
    pipeline?.dispose()
    await pack?.dispose()
    await pool?.dispose()
    if (dir) rmSync(dir, { recursive: true, force: true })
  })

  test('the tokenizer encodes each dense prompt to the trainer’s ids', () => {
    for (const c of golden.dense) {
      expect(chatText(pack.manifest.prompts, pack.manifest.prompts.dense[0]!)).toBe(c.prompt_text)
      expect(pack.tokenizer.encode(c.prompt_text)).toEqual(c.input_ids)
    }
  })

  test('the tokenizer decodes each golden name from its ids', () => {
    const instances = golden.dense.flatMap((c) => c.instances)
    expect(instances.length).toBeGreaterThan(0)
    for (const inst of instances) expect(cleanName(pack.tokenizer.decode(inst.name_ids))).toBe(inst.name)
    expect(categoryText(pack.manifest.prompts)).toBe('USER: <category> Please decode this linguistic embedding into a noun concept. ASSISTANT: Sure, it is')
  })

  test('preprocessing reproduces the vision and SAM inputs of the first scene exactly', async () => {
    const scene = golden.dense[0]!
    const opened = await openImage(images.get(scene.image)!)
    const m = pack.manifest
    const visionCase = golden.doc.graph_cases.find((c) => c.graph === 'vision_encoder')!
    const samCase = golden.doc.graph_cases.find((c) => c.graph === 'sam_encoder')!
    const v = letterbox(opened, m.sizes.image_size)
    const [pixels] = await readFramePixels(opened, [{ width: v.contentWidth, height: v.contentHeight }])
    const vision = frameTensor(pixels!, m.sizes.image_size, m.preprocessing.vision, null, 4)
    expect(compareFloats(vision, golden.tensor(visionCase.inputs['pixel_values']!).data as Float32Array, 0, 0)).toEqual({ violations: 0, maxAbsDiff: 0 })
    const sam = frameTensor(pixels!, m.sizes.sam_image_size, m.preprocessing.sam)
    expect(compareFloats(sam, golden.tensor(samCase.inputs['pixel_values']!).data as Float32Array, 0, 0)).toEqual({ violations: 0, maxAbsDiff: 0 })
  })

  test('every graph case reproduces the PyTorch outputs through the pack’s checked sessions', async () => {
    const graphs = new Set(golden.doc.graph_cases.map((c) => c.graph))
    expect([...graphs].sort()).toEqual(Object.entries(pack.manifest.graphs).filter(([, g]) => g !== null).map(([n]) => n).sort())
    for (const c of golden.doc.graph_cases) {
      const session = await pack.session(c.graph as GraphName)
      const feeds = Object.fromEntries(Object.entries(c.inputs).map(([name, id]) => [name, golden.tensor(id)]))
      const out = await session.run(feeds)
      for (const [name, entry] of Object.entries(c.outputs)) {
        const expected = golden.tensor(entry.tensor)
        const got = out[name]!
        let data = got.data as Float32Array
        if (entry.slice !== undefined) {
          // The image prefill's logits are compared at the last position only.
          const { axis, start, end } = entry.slice
          const dims = got.dims
          const inner = dims.slice(axis + 1).reduce((a, b) => a * b, 1)
          const outer = dims.slice(0, axis).reduce((a, b) => a * b, 1)
          const parts: number[] = []
          for (let o = 0; o < outer; o++) for (let i = start; i < end; i++) parts.push(...data.subarray((o * dims[axis]! + i) * inner, (o * dims[axis]! + i + 1) * inner))
          data = Float32Array.from(parts)
        }
        const cmp = compareFloats(data, expected.data as Float32Array, c.atol, c.rtol)
        expect(cmp.violations, `${c.graph} (${c.note}) ${name}: max |diff| ${cmp.maxAbsDiff}`).toBe(0)
      }
    }
  }, 60_000)

  test('dense prediction keeps the trainer’s patches, survivors and names, with masks within a few pixels', async () => {
    for (const c of golden.dense) {
      const result = await pipeline.dense({ path: images.get(c.image)!, key: c.name })
      expect(result.keptPatches, c.name).toEqual(c.kept_patches)
      expect(result.instances.map((i) => i.patch), c.name).toEqual(c.instances.map((i) => i.patch))
      expect(result.instances.map((i) => i.name), c.name).toEqual(c.instances.map((i) => i.name))
      expect(result.instances.map((i) => [...i.nameIds]), c.name).toEqual(c.instances.map((i) => [...i.name_ids]))
      result.instances.forEach((inst, i) => {
        const want = c.instances[i]!
        expect(Math.abs(inst.score - want.score), `${c.name} #${i} score`).toBeLessThanOrEqual(SCORE_TOLERANCE)
        expect(inst.rle.size).toEqual(want.rle.size)
        expect(pixelDifference(inst.rle, want.rle), `${c.name} #${i} mask pixels`).toBeLessThanOrEqual(MASK_PIXEL_TOLERANCE)
        expect(Math.abs(inst.area - want.area)).toBeLessThanOrEqual(MASK_PIXEL_TOLERANCE)
      })
      expect(result.semantic.reduce((n, s) => n + s.instances.length, 0)).toBe(result.instances.length)
    }
  }, 60_000)

  test('a box prompt on the pack’s SAM gives the trainer’s mask', async () => {
    const c = golden.box
    const [x1, y1, x2, y2] = c.box_xyxy
    const result = await pipeline.segment({ path: images.get(c.image)!, key: 'scene0' }, { box: [x1, y1, x2 - x1, y2 - y1] })
    expect(result.rle.size).toEqual(c.rle.size)
    expect(pixelDifference(result.rle, c.rle)).toBeLessThanOrEqual(MASK_PIXEL_TOLERANCE)
  })

  test('refining a damaged mask picks the trainer’s patch and name, and its mask', async () => {
    const c = golden.refine
    const result = await pipeline.refine({ path: images.get(c.image)!, key: 'scene0' }, { situation: 'mask', mask: c.mask_rle })
    expect(result.prompt).toBe(c.user_prompt)
    expect(result.patch).toBe(c.patch)
    expect(result.name).toBe(c.name_out)
    expect(pixelDifference(result.rle, c.rle)).toBeLessThanOrEqual(MASK_PIXEL_TOLERANCE)
  })
})
