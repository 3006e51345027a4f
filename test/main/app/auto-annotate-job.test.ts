// The auto-annotate job on a real project store and the real ROSE pipeline (in process): proposals
// stored per image with the pack version and score, a corrupt image reported without stopping the
// job, a cancelled job resumed without storing any image twice.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { runAutoAnnotate, type DenseEngine } from '../../../src-main/app/auto-annotate-job'
import { CancellationError } from '../../../src-main/common/errors'
import { ModelPack } from '../../../src-main/engine/pack/model-pack'
import { RosePipeline, type DenseResult } from '../../../src-main/engine/rose/rose-pipeline'
import type { SessionPool } from '../../../src-main/engine/session-pool'
import type { JobContext, ProgressUpdate } from '../../../src-main/jobs/job-manager'
import { ProjectStore } from '../../../src-main/store/project-store'
import { testPool } from '../engine/engine-fixtures'
import { GOLDEN_PACK_DIR, GoldenFiles } from '../engine/rose/golden-files'

describe('auto-annotate job', () => {
  let dir: string
  let store: ProjectStore
  let pool: SessionPool
  let pack: ModelPack
  let pipeline: RosePipeline
  let engine: DenseEngine
  let calls: string[]
  const ids: number[] = []
  const results = new Map<string, DenseResult>()

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rose-auto-'))
    const golden = new GoldenFiles(GOLDEN_PACK_DIR)
    const rows = []
    for (const [i, c] of golden.dense.entries()) {
      const { width, height } = await golden.writeImage(c.image, join(dir, `scene${i}.png`))
      rows.push({ path: `scene${i}.png`, width, height, orientation: 1, fileSize: 1, contentHash: `hash${i}`, format: 'png' })
    }
    writeFileSync(join(dir, 'broken.png'), Buffer.from('\x89PNG\r\n\x1a\n not really'))
    rows.push({ path: 'broken.png', width: 10, height: 10, orientation: 1, fileSize: 16, contentHash: 'broken', format: 'png' })
    store = ProjectStore.open(dir)
    ids.push(...store.insertImages(rows))
    pool = testPool()
    pack = await ModelPack.open(GOLDEN_PACK_DIR, pool, { verifyHashes: false })
    pipeline = new RosePipeline(pack)
    calls = []
    engine = {
      dense: async (image, packId, signal) => {
        calls.push(image.path)
        expect(packId).toBe(pack.id)
        const result = await pipeline.dense(image, {}, signal)
        results.set(image.path, result)
        return result
      }
    }
  }, 60_000)

  afterAll(async () => {
    store?.close()
    pipeline?.dispose()
    await pack?.dispose()
    await pool?.dispose()
    if (dir) rmSync(dir, { recursive: true, force: true })
  })

  function context(jobId: number, signal = new AbortController().signal): JobContext & { updates: ProgressUpdate[] } {
    const updates: ProgressUpdate[] = []
    return { jobId, signal, progress: (u) => updates.push(u), updates }
  }

  test('stores each image’s proposals with the pack version, reports a corrupt image, and skips finished images when resumed', async () => {
    // First run: cancelled after the first image is stored.
    const controller = new AbortController()
    const first = context(1, controller.signal)
    const stored: number[] = []
    const run1 = runAutoAnnotate(store, engine, { imageIds: 'all-without-proposals', pack: pack.id }, first, (id) => {
      stored.push(id)
      controller.abort(new CancellationError())
    })
    const report1 = await run1
    expect(stored).toEqual([ids[0]])
    expect(report1.annotated).toBe(1)
    const firstInstances = store.listInstances(ids[0]!)
    const golden = new GoldenFiles(GOLDEN_PACK_DIR)
    expect(firstInstances.map((i) => i.categoryText)).toEqual(golden.dense[0]!.instances.map((i) => i.name))
    for (const inst of firstInstances) {
      expect(inst).toMatchObject({ status: 'proposed', source: 'model', modelVersion: pack.id })
      expect(inst.score).toBeGreaterThanOrEqual(pack.manifest.inference.objectness_threshold)
    }
    if (firstInstances.length > 0) expect(store.getImage(ids[0]!).status).toBe('proposed')
    // The role and the SigLIP-space embedding of each proposal are stored with it, for taxonomy matching.
    const engineOut = results.get(join(dir, 'scene0.png'))!.instances
    expect(engineOut.length).toBe(firstInstances.length)
    expect(engineOut.length).toBeGreaterThan(0)
    firstInstances.forEach((inst, i) => {
      const stored = store.modelOutputs(inst.id)
      expect(stored.role).toBe(engineOut[i]!.role)
      expect(stored.embedding).toEqual(engineOut[i]!.siglipEmbedding)
      expect(stored.embedding!.length).toBe(pack.manifest.sizes.siglip_dim)
    })
    // They survive a delete and its undo (the history snapshots whole rows).
    const victim = firstInstances[0]!
    store.deleteInstances([victim.id])
    store.undo()
    expect(store.modelOutputs(victim.id)).toEqual({ role: engineOut[0]!.role, embedding: engineOut[0]!.siglipEmbedding })

    // Resumed: the finished image is not done again, the corrupt one is reported, the rest is stored.
    calls.length = 0
    const second = context(2)
    const report2 = await runAutoAnnotate(store, engine, { imageIds: 'all-without-proposals', pack: pack.id }, second, () => {})
    expect(calls.map((p) => p.split('/').pop())).toEqual(['scene1.png', 'broken.png'])
    expect(report2.annotated).toBe(1)
    expect(report2.failed).toEqual([{ item: 'broken.png', reason: `${join(dir, 'broken.png')}: not an image (unrecognised file contents)` }])
    expect(store.listInstances(ids[0]!).map((i) => i.id)).toEqual(firstInstances.map((i) => i.id))
    expect(store.listInstances(ids[1]!).map((i) => i.categoryText)).toEqual(golden.dense[1]!.instances.map((i) => i.name))
    const last = second.updates.at(-1)!
    expect(last).toMatchObject({ done: 2, total: 2 })
    expect(last.ratePerSecond).toBeGreaterThan(0)
    expect(last.etaSeconds).toBe(0)

    // An explicit selection of already annotated images does nothing and says so.
    calls.length = 0
    const report3 = await runAutoAnnotate(store, engine, { imageIds: [ids[0]!, ids[1]!], pack: pack.id }, context(3), () => {})
    expect(calls).toEqual([])
    expect(report3).toMatchObject({ images: 2, annotated: 0, alreadyDone: 2, instances: 0 })
  }, 60_000)

  test('saving the same image twice for one pack version stores it once', () => {
    const inst = { rle: { size: [10, 10] as [number, number], counts: '05:0g1' }, bbox: [0, 5, 2, 5] as [number, number, number, number], area: 10, categoryText: 'x', score: 0.9 }
    const image = ids[2]!
    expect(store.saveAutoAnnotation(image, 'test@1', 7, [inst])).toEqual({ saved: true, inserted: 1 })
    expect(store.saveAutoAnnotation(image, 'test@1', 8, [inst])).toEqual({ saved: false, inserted: 0 })
    expect(store.listInstances(image).filter((i) => i.modelVersion === 'test@1')).toHaveLength(1)
    expect(store.autoAnnotateTargets([image], 'test@1')).toEqual({ todo: [], done: [image] })
    expect(store.autoAnnotateTargets([image], 'test@2')).toEqual({ todo: [image], done: [] })
  })
})
