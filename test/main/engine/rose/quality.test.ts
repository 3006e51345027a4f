// End-to-end quality through the engine host on held-out generated scenes with ground truth, against
// the figures the trainer's `evaluate --write-manifest` recorded in the pack's manifest (`metrics`):
// the very scenes it evaluated are regenerated with the trainer's own generator (`rose_trainer scenes`
// with the seed, split, count and shapes of `metrics.data`), predicted by the engine, and scored the
// way evaluate.py scores them. Recall@0.5 and name accuracy must be within 0.02 of the trainer's;
// box prompts on the pack's SAM must reach mIoU ≥ 0.85; refining damaged masks must improve them.
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { EngineSupervisor } from '../../../../src-main/engine/host/engine-supervisor'
import { compress, decodeRowMajor, encodeRowMajor, fromString, iou, toBbox, type Rle, type RleRuns } from '../../../../src-main/masks/rle'
import { sourceHostLauncher } from '../engine-fixtures'
import { GOLDEN_PACK_DIR, REPO_ROOT } from './golden-files'

/** How far the engine's figures may be from the trainer's. */
const FIGURE_TOLERANCE = 0.02
/** The bar for box prompts on generated scenes. */
const BOX_MIOU_BAR = 0.85
/** Damaged masks refined per scene (the first things), enough for a stable mean. */
const REFINE_SCENES = 40

interface Metrics {
  readonly 'recall_at_0.5': number
  readonly name_exact_match: number
  readonly box_prompt_miou: number
  readonly data: { readonly kind: string; readonly split: string; readonly seed: number; readonly count: number; readonly shapes: readonly string[] }
}

const manifest = JSON.parse(readFileSync(join(GOLDEN_PACK_DIR, 'manifest.json'), 'utf8')) as { name: string; version: string; metrics: Metrics | null; sizes: { image_size: number }; training: { held_out_class?: string } }
const metrics = manifest.metrics

interface Scene {
  readonly file: string
  readonly width: number
  readonly height: number
  readonly truth: { readonly name: string; readonly thing: boolean; readonly rle: RleRuns; readonly bbox: [number, number, number, number] }[]
}

/** Ground truth of `rose_trainer scenes` (COCO with compressed RLE), in file order. */
function readScenes(dir: string): Scene[] {
  const coco = JSON.parse(readFileSync(join(dir, 'instances.json'), 'utf8')) as {
    images: { id: number; file_name: string; width: number; height: number }[]
    annotations: { image_id: number; category_id: number; bbox: [number, number, number, number]; segmentation: { size: [number, number]; counts: string } }[]
    categories: { id: number; name: string; isthing: number }[]
  }
  const cats = new Map(coco.categories.map((c) => [c.id, c]))
  return coco.images.map((im) => ({
    file: join(dir, 'images', im.file_name),
    width: im.width,
    height: im.height,
    truth: coco.annotations
      .filter((a) => a.image_id === im.id)
      .map((a) => ({ name: cats.get(a.category_id)!.name, thing: cats.get(a.category_id)!.isthing === 1, rle: fromString(a.segmentation.counts, a.segmentation.size[0], a.segmentation.size[1]), bbox: a.bbox }))
  }))
}

/** evaluate.py's match_greedy: predictions in score order take the best unused truth with IoU ≥ 0.5. */
function matchGreedy(predictions: readonly { rle: Rle; score: number }[], truth: readonly { rle: RleRuns }[]): [number, number][] {
  if (predictions.length === 0 || truth.length === 0) return []
  const m = iou(predictions.map((p) => p.rle), truth.map((t) => t.rle), truth.map(() => false))
  const used = new Array<boolean>(truth.length).fill(false)
  const out: [number, number][] = []
  const order = predictions.map((_, i) => i).sort((a, b) => predictions[b]!.score - predictions[a]!.score)
  for (const i of order) {
    let best = -1
    let bestIou = -1
    for (let j = 0; j < truth.length; j++) {
      const v = used[j] ? -1 : m[i]![j]!
      if (v > bestIou) {
        bestIou = v
        best = j
      }
    }
    if (bestIou >= 0.5) {
      used[best] = true
      out.push([i, best])
    }
  }
  return out
}

// A deterministic damage: the right 40 % of the object's box cut away (the "mask incomplete" situation).
function damage(rle: RleRuns, width: number, height: number): RleRuns {
  const [x, , w] = toBbox(rle)
  const keepTo = x + Math.max(1, Math.floor(w * 0.6))
  const mask = decodeRowMajor(rle)
  for (let yy = 0; yy < height; yy++) for (let xx = keepTo; xx < width; xx++) mask[yy * width + xx] = 0
  return encodeRowMajor(mask, height, width)
}

test('the pack records the trainer’s held-out figures (rose_trainer evaluate --write-manifest)', () => {
  expect(metrics, `${GOLDEN_PACK_DIR}/manifest.json has no metrics`).not.toBeNull()
})

describe.skipIf(metrics === null)('quality through the engine host on the trainer’s held-out scenes', () => {
  let dir: string
  let scenes: Scene[]
  let supervisor: EngineSupervisor
  const pack = manifest ? `${manifest.name}@${manifest.version}` : ''

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rose-quality-'))
    const data = metrics!.data
    expect(data.kind).toBe('procedural')
    const heldOut = manifest.training.held_out_class
    const args = ['-m', 'rose_trainer', 'scenes', '--out', join(dir, 'scenes'), '--count', String(data.count), '--seed', String(data.seed), '--split', data.split, '--size', String(manifest.sizes.image_size)]
    if (heldOut !== undefined && data.shapes.includes(heldOut)) args.push('--include-held-out')
    const run = spawnSync('/usr/bin/python3', args, { cwd: join(REPO_ROOT, 'trainer'), env: { ...process.env, OPENBLAS_NUM_THREADS: '1', OMP_WAIT_POLICY: 'PASSIVE' }, encoding: 'utf8', timeout: 300_000 })
    expect(run.status, run.stderr).toBe(0)
    scenes = readScenes(join(dir, 'scenes'))
    expect(scenes).toHaveLength(data.count)
    supervisor = new EngineSupervisor({ launcher: sourceHostLauncher({ packs: { sources: [{ dir: dirname(GOLDEN_PACK_DIR), kind: 'bundled' }] } }) })
    await supervisor.start()
  }, 360_000)

  afterAll(async () => {
    await supervisor?.dispose()
    if (dir) rmSync(dir, { recursive: true, force: true })
  })

  test('dense recall@0.5 and name accuracy are within 0.02 of the trainer’s', async () => {
    let objects = 0
    let matched = 0
    let named = 0
    for (const [i, s] of scenes.entries()) {
      const result = await supervisor.call('rose.dense', { image: { path: s.file, key: `scene${i}` }, pack })
      const matches = matchGreedy(result.instances, s.truth)
      objects += s.truth.length
      matched += matches.length
      named += matches.filter(([p, t]) => result.instances[p]!.name === s.truth[t]!.name).length
    }
    const recall = matched / Math.max(objects, 1)
    const names = named / Math.max(matched, 1)
    console.log(`engine: recall@0.5 ${recall.toFixed(4)} (trainer ${metrics!['recall_at_0.5']}), names ${names.toFixed(4)} (trainer ${metrics!.name_exact_match}) over ${objects} objects`)
    expect(Math.abs(recall - metrics!['recall_at_0.5'])).toBeLessThanOrEqual(FIGURE_TOLERANCE)
    expect(Math.abs(names - metrics!.name_exact_match)).toBeLessThanOrEqual(FIGURE_TOLERANCE)
  }, 600_000)

  test('box prompts on the pack’s SAM give masks of mean IoU ≥ 0.85 with the truth, as the trainer measured', async () => {
    const ious: number[] = []
    for (const [i, s] of scenes.entries()) {
      for (const t of s.truth.filter((g) => g.thing)) {
        const result = await supervisor.call('rose.segment', { image: { path: s.file, key: `scene${i}` }, pack, prompt: { box: t.bbox } })
        ious.push(iou([result.rle], [t.rle], [false])[0]![0]!)
      }
    }
    const miou = ious.reduce((a, b) => a + b, 0) / ious.length
    console.log(`engine: box-prompt mIoU ${miou.toFixed(4)} over ${ious.length} things (trainer ${metrics!.box_prompt_miou})`)
    expect(Math.abs(miou - metrics!.box_prompt_miou)).toBeLessThanOrEqual(FIGURE_TOLERANCE)
    expect(miou).toBeGreaterThanOrEqual(BOX_MIOU_BAR)
  }, 600_000)

  test('refining a damaged mask (right 40 % cut away) brings it closer to the truth', async () => {
    let before = 0
    let after = 0
    let cases = 0
    for (const [i, s] of scenes.slice(0, REFINE_SCENES).entries()) {
      const t = s.truth.find((g) => g.thing)
      if (t === undefined) continue
      const damaged = damage(t.rle, s.width, s.height)
      const result = await supervisor.call('rose.refine', { image: { path: s.file, key: `scene${i}` }, pack, request: { situation: 'mask', mask: compress(damaged) } })
      before += iou([damaged], [t.rle], [false])[0]![0]!
      after += iou([result.rle], [t.rle], [false])[0]![0]!
      cases++
    }
    console.log(`engine: refinement of ${cases} damaged masks, mean IoU ${(before / cases).toFixed(4)} → ${(after / cases).toFixed(4)}`)
    expect(after / cases).toBeGreaterThan(before / cases)
  }, 600_000)
})
