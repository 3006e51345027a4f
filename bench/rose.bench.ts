/**
 * The ROSE pipeline's own cost next to its models' cost, on held-out scenes of the trainer's generator:
 *   1. box prompt on the pack's SAM: call → RLE (in process and through the engine host) vs one
 *      `sam_decoder` session.run with the same feeds — target: p50 ≤ 1.2 × decoder + 3 ms;
 *   2. dense auto-annotation per image: wall time vs the sum of its session.run times — target ≤ 1.15 ×;
 *   3. images/s of the auto-annotate job (engine host + project store) over 50 images.
 * `npm run bench -- bench/rose.bench.ts`. ROSE_PACK_DIR picks the pack (rose-tiny by default),
 * ROSE_BENCH_DEVICE `cpu` (default) or `cuda`, ROSE_BENCH_THREADS the CPU threads.
 */
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { availableParallelism, tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { runAutoAnnotate } from '../src-main/app/auto-annotate-job'
import { EngineSupervisor } from '../src-main/engine/host/engine-supervisor'
import { ModelPack } from '../src-main/engine/pack/model-pack'
import type { DeviceSetting } from '../src-main/engine/providers'
import { letterbox } from '../src-main/engine/rose/frame'
import { frameTensor, readFramePixels } from '../src-main/engine/rose/preprocess'
import { boxMaskInput, promptPoints, RosePipeline } from '../src-main/engine/rose/rose-pipeline'
import { floatTensor } from '../src-main/engine/rose/tensors'
import { SessionPool } from '../src-main/engine/session-pool'
import { openImage } from '../src-main/images/open-image'
import { ProjectStore } from '../src-main/store/project-store'
import { sourceHostLauncher } from '../test/main/engine/engine-fixtures'
import { GOLDEN_PACK_DIR, REPO_ROOT } from '../test/main/engine/rose/golden-files'

const DEVICE = (process.env['ROSE_BENCH_DEVICE'] ?? 'cpu') as DeviceSetting
const THREADS = Number(process.env['ROSE_BENCH_THREADS'] ?? Math.min(availableParallelism(), 8))
const IMAGES = 50
const BOXES = 60

function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!
}
const mean = (values: readonly number[]): number => values.reduce((a, b) => a + b, 0) / values.length
const ms = (v: number): string => `${v.toFixed(2)} ms`

describe(`ROSE pipeline overhead (${DEVICE}, ${THREADS} threads)`, () => {
  const dir = mkdtempSync(join(tmpdir(), 'rose-bench-'))
  const manifest = JSON.parse(readFileSync(join(GOLDEN_PACK_DIR, 'manifest.json'), 'utf8')) as { name: string; version: string; sizes: { image_size: number } }
  const packId = `${manifest.name}@${manifest.version}`
  const run = spawnSync(
    '/usr/bin/python3',
    ['-m', 'rose_trainer', 'scenes', '--out', join(dir, 'scenes'), '--count', String(IMAGES), '--seed', '7', '--split', 'test', '--size', String(manifest.sizes.image_size)],
    { cwd: join(REPO_ROOT, 'trainer'), env: { ...process.env, OPENBLAS_NUM_THREADS: '1' }, encoding: 'utf8' }
  )
  if (run.status !== 0) throw new Error(run.stderr)
  const coco = JSON.parse(readFileSync(join(dir, 'scenes', 'instances.json'), 'utf8')) as {
    images: { id: number; file_name: string; width: number; height: number }[]
    annotations: { image_id: number; bbox: [number, number, number, number]; category_id: number }[]
    categories: { id: number; isthing: number }[]
  }
  const things = new Set(coco.categories.filter((c) => c.isthing === 1).map((c) => c.id))
  const files = coco.images.map((im) => join(dir, 'scenes', 'images', im.file_name))
  const pool = new SessionPool({ threads: THREADS, device: DEVICE })
  const supervisor = new EngineSupervisor({ launcher: sourceHostLauncher({ threads: THREADS, device: DEVICE, packs: { sources: [{ dir: dirname(GOLDEN_PACK_DIR), kind: 'bundled' }] } }) })
  let pack: ModelPack
  let pipeline: RosePipeline

  afterAll(async () => {
    pipeline?.dispose()
    await pack?.dispose()
    await pool.dispose()
    await supervisor.dispose()
    rmSync(dir, { recursive: true, force: true })
  })

  it('box prompt: call → RLE vs one sam_decoder session.run', async () => {
    pack = await ModelPack.open(GOLDEN_PACK_DIR, pool, { verifyHashes: false })
    pipeline = new RosePipeline(pack)
    await supervisor.start()
    const m = pack.manifest
    const [encoder, decoder] = await Promise.all([pack.session('sam_encoder'), pack.session('sam_decoder')])
    const r = m.sizes.sam_mask_size
    const E = m.sizes.mask_embedding_dim
    const decoderMs: number[] = []
    const callMs: number[] = []
    const hostDecoderMs: number[] = []
    const hostMs: number[] = []
    // The decoder run inside each call, and the host's own time for the call (the rest is IPC).
    const callRunMs: number[] = []
    const hostRunMs: number[] = []
    const hostCallMs: number[] = []
    const pingMs: number[] = []
    const prompts: { ref: { path: string; key: string }; box: [number, number, number, number]; feeds: Record<string, ReturnType<typeof floatTensor>> }[] = []
    for (const [i, image] of coco.images.entries()) {
      if (prompts.length >= BOXES) break
      const ref = { path: files[i]!, key: `bench${i}` }
      await pipeline.prepare(ref)
      await supervisor.call('rose.prepare', { image: ref, pack: packId })
      // The decoder's inputs exactly as the pipeline builds them, on an embedding computed the same way.
      const opened = await openImage(ref.path)
      const sam = letterbox(opened, m.sizes.sam_image_size)
      const [pixels] = await readFramePixels(opened, [{ width: sam.contentWidth, height: sam.contentHeight }])
      const ls = m.sizes.sam_image_size
      const embedding = (await encoder.run({ pixel_values: floatTensor('float32', frameTensor(pixels!, ls, m.preprocessing.sam), [1, 3, ls, ls]) }))['image_embeddings']!
      for (const a of coco.annotations.filter((x) => x.image_id === image.id && things.has(x.category_id))) {
        if (prompts.length >= BOXES) break
        const points = promptPoints({ box: a.bbox }, { width: image.width, height: image.height, sam })
        const rect = m.inference.box_prompt_mask_input === 'rectangle'
        prompts.push({
          ref,
          box: a.bbox,
          feeds: {
            image_embeddings: embedding,
            point_coords: floatTensor('float32', points.coords, [1, points.count, 2]),
            point_labels: floatTensor('float32', points.labels, [1, points.count]),
            mask_input: floatTensor('float32', rect ? boxMaskInput(points.coords, r, ls) : new Float32Array(r * r), [1, 1, r, r]),
            has_mask_input: floatTensor('float32', Float32Array.of(rect ? 1 : 0), [1]),
            prompt_embedding: floatTensor('float32', new Float32Array(E), [1, E]),
            has_prompt_embedding: floatTensor('float32', Float32Array.of(0), [1])
          }
        })
      }
    }
    const fetches = ['iou_predictions', 'low_res_masks']
    // Each path interleaved with its own baseline, so load from other processes hits both alike; the
    // two paths apart, so the host's and this process's onnxruntime threads do not compete.
    for (let round = 0; round < 3; round++) {
      for (const p of prompts) {
        let t = performance.now()
        await decoder.run(p.feeds, { fetches })
        decoderMs.push(performance.now() - t)
        t = performance.now()
        const result = await pipeline.segment(p.ref, { box: p.box })
        callMs.push(performance.now() - t)
        callRunMs.push(result.timings.modelMs)
      }
    }
    for (let round = 0; round < 3; round++) {
      for (const p of prompts) {
        let t = performance.now()
        await decoder.run(p.feeds, { fetches })
        hostDecoderMs.push(performance.now() - t)
        t = performance.now()
        const result = await supervisor.call('rose.segment', { image: p.ref, pack: packId, prompt: { box: p.box } })
        hostMs.push(performance.now() - t)
        hostRunMs.push(result.timings.modelMs)
        hostCallMs.push(result.timings.totalMs)
        t = performance.now()
        await supervisor.call('engine.status', {})
        pingMs.push(performance.now() - t)
      }
    }
    const target = (base: number[]): number => 1.2 * percentile(base, 50) + 3
    const row = (label: string, values: number[], extra = ''): void =>
      console.log(`  ${label.padEnd(44)}${ms(percentile(values, 50)).padStart(10)} ${ms(percentile(values, 95)).padStart(10)}${extra}`)
    const verdict = (values: number[], base: number[]): string => `   target ≤ 1.2 × ${ms(percentile(base, 50))} + 3 ms = ${ms(target(base))}: ${percentile(values, 50) <= target(base) ? 'met' : 'NOT met'}`
    console.log(`\nbox prompt on ${packId} (${prompts.length} boxes × 3)`)
    console.log(`  ${''.padEnd(44)}       p50        p95`)
    row('sam_decoder session.run alone (baseline)', decoderMs)
    row('in process: decoder run inside the call', callRunMs)
    // The issue's target compares the call with one session.run of the decoder on its own (the baselines).
    row('in process: call → RLE', callMs, verdict(callMs, decoderMs))
    row('sam_decoder session.run alone (host loop)', hostDecoderMs)
    row('host: decoder run inside the call', hostRunMs)
    row('host: the call inside the host', hostCallMs, verdict(hostCallMs, hostDecoderMs))
    row('host: call → RLE from main (IPC included)', hostMs, verdict(hostMs, hostDecoderMs))
    row('host: engine.status round trip (IPC alone)', pingMs)
    expect(decoderMs.length).toBeGreaterThan(0)
  })

  it('dense auto-annotation: wall time per image vs its session.run time', async () => {
    const wall: number[] = []
    const model: number[] = []
    const runs = new Map<string, number>()
    for (const [i, file] of files.entries()) {
      // Uncached images: the call decodes the file and runs the SAM encoder too, as a job does; like
      // the engine host during a job, the next image is decoded meanwhile.
      const t = performance.now()
      const next = files[i + 1]
      if (next !== undefined) void pipeline.prefetch({ path: next, key: `dense${i + 1}` })
      const result = await pipeline.dense({ path: file, key: `dense${i}` })
      wall.push(performance.now() - t)
      model.push(result.timings.modelMs)
      for (const [graph, v] of Object.entries(result.timings.runs)) runs.set(graph, (runs.get(graph) ?? 0) + v)
    }
    const ratio = mean(wall) / mean(model)
    console.log(`\ndense on ${packId}, ${files.length} images (in process)`)
    console.log(`  wall per image: mean ${ms(mean(wall))}, p50 ${ms(percentile(wall, 50))}, p95 ${ms(percentile(wall, 95))}`)
    console.log(`  session.run per image: mean ${ms(mean(model))} → wall / model = ${ratio.toFixed(3)} (target ≤ 1.15: ${ratio <= 1.15 ? 'met' : 'NOT met'})`)
    console.log(`  per graph (mean per image): ${[...runs].map(([g, v]) => `${g} ${ms(v / files.length)}`).join(', ')}`)
    expect(ratio).toBeGreaterThan(1)
  })

  it('auto-annotate job: images/s over 50 images through the engine host into a project store', async () => {
    const project = join(dir, 'project')
    const store = ProjectStore.open(project)
    try {
      const ids = store.insertImages(
        coco.images.map((im, i) => ({ path: files[i]!, width: im.width, height: im.height, orientation: 1, fileSize: 1, contentHash: `job${i}`, format: 'png' }))
      )
      const modelMs: number[] = []
      const engine = {
        // As EngineService.dense: the image after this one travels along, so the host decodes it meanwhile.
        dense: async (image: { path: string; key?: string }, pack: string, signal?: AbortSignal, next?: { path: string; key?: string }) => {
          const result = await supervisor.call('rose.dense', { image, pack, ...(next ? { next } : {}) }, signal ? { signal } : {})
          modelMs.push(result.timings.modelMs)
          return result
        }
      }
      const t = performance.now()
      const report = await runAutoAnnotate(store, engine, { imageIds: ids, pack: packId }, { jobId: 1, signal: new AbortController().signal, progress: () => {} }, () => {})
      const seconds = (performance.now() - t) / 1000
      const ratio = seconds / (modelMs.reduce((a, b) => a + b, 0) / 1000)
      console.log(`\nauto-annotate job on ${packId}: ${report.annotated} images, ${report.instances} proposals in ${seconds.toFixed(2)} s`)
      console.log(`  ${(report.annotated / seconds).toFixed(2)} images/s; wall / session.run time = ${ratio.toFixed(3)} (engine host, IPC and one transaction per image included)`)
      expect(report.annotated).toBe(IMAGES)
    } finally {
      store.close()
    }
  })
})
