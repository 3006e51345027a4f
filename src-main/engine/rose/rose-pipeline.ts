/**
 * ROSE on one model pack (model-pack.md section 7), as stages around `session.run`:
 *
 *   prepare   image (oriented) → vision and SAM frames → sam_encoder, cached per image (LRU)
 *   patches   vision frame (+ mask channel) → vision_encoder → splice at <image> → llm_decoder
 *             prefill → last_hidden_state at the patch positions → patch_analyzer
 *   masks     kept patches' mask embeddings → sam_decoder (batched) → NMS on the grid → RLE of the
 *             survivors, mapped to full resolution only inside each mask's box
 *   names     category_adapter (optional) → <category> prompt for all survivors at once → greedy
 *             decoding with the KV cache
 *
 * `dense` runs them all; `segment` (box/points) uses only the SAM graphs; `refine`, `refer` and
 * `suggestName` keep the `refine_top_k` best patch of an instruction (with the mask channel for
 * the refinement situations). Every result carries its timings, the sum of its `session.run` times
 * included, so the overhead of everything around the models can be measured.
 */
import { raceAbort } from '../../common/cancellation'
import { throwIfAborted } from '../../common/errors'
import { ImageProblemError } from '../../images/image-problem'
import { openImage, type OpenedImage } from '../../images/open-image'
import { area, compress, merge, toBbox, type Bbox, type Rle, type RleRuns } from '../../masks/rle'
import type { GraphSession, TensorMap } from '../graph-session'
import type { ImageRef } from '../interactive/interactive-segmenter'
import { checkPrompt, type SegmentPrompt } from '../interactive/sam-preprocess'
import { imageKey } from '../interactive/sam-segmenter'
import { LruCache } from '../lru-cache'
import type { GraphName, PackManifest } from '../pack/manifest'
import type { ModelPack } from '../pack/model-pack'
import { boxToText, letterbox, type Letterbox } from './frame'
import { embedIds, greedyDecode, prefillHidden, RunClock, spliceRows, type LlmGraphs } from './llm'
import { imageTaps, logitsToRuns, nmsOnGrid, removeFragments, type ImageTaps } from './mask-map'
import { roleOfPatch, selectPatches, sigmoid, topPatches } from './patches'
import { frameTensor, maskToContent, readFramePixels, type FramePixels } from './preprocess'
import { categoryText, chatText, checkUserText, cleanName, countAnswer, fillTemplate, promptIds, type PromptIds } from './prompt'
import { floatData, floatTensor } from './tensors'

/** The largest image the engine reads: COCO RLE holds at most 2^32 − 1 pixels. */
export const ENGINE_MAX_PIXELS = 0xffffffff

/** Where the time of one call went, in milliseconds. */
export interface RoseTimings {
  /** From the call to the result. */
  readonly totalMs: number
  /** The sum of every `session.run` of the call. */
  readonly modelMs: number
  /** `session.run` time per graph. */
  readonly runs: Readonly<Record<string, number>>
}

/** One object of a dense result, at full resolution in the oriented frame. */
export interface RoseInstance {
  readonly rle: Rle
  /** `[x, y, width, height]` from the mask (COCO's toBbox). */
  readonly bbox: Bbox
  readonly area: number
  /** The generated category name. */
  readonly name: string
  /** The generated name's token ids (before EOS). */
  readonly nameIds: readonly number[]
  /** sigmoid(objectness) of its patch. */
  readonly score: number
  /** Its patch index (row-major over the S×S grid) and super-patch role. */
  readonly patch: number
  readonly role: string
  /** The patch's SigLIP-space embedding (unit norm), for taxonomy matching. */
  readonly siglipEmbedding: Float32Array
}

/** Same-name masks stacked (union), as the paper's semantic output. */
export interface SemanticSegment {
  readonly name: string
  readonly rle: Rle
  readonly bbox: Bbox
  readonly area: number
  /** Indices into the result's `instances`. */
  readonly instances: readonly number[]
}

/** What `dense` returns. */
export interface DenseResult {
  /** `name@version` of the pack that made it. */
  readonly pack: string
  readonly width: number
  readonly height: number
  readonly task: 'dense' | 'instance'
  /** Patches kept by objectness (score order), before NMS. */
  readonly keptPatches: readonly number[]
  /** NMS survivors in score order. */
  readonly instances: readonly RoseInstance[]
  readonly semantic: readonly SemanticSegment[]
  /** "There are 2 red circle, 1 sky in this image." from the names (prompts.count_answer). */
  readonly countAnswer: string
  readonly timings: RoseTimings
}

/** Options of a dense run; the manifest's `inference` values by default. */
export interface DenseOptions {
  readonly task?: 'dense' | 'instance'
  readonly topN?: number
  readonly objectnessThreshold?: number
}

/** The answer of a box/point prompt, refinement, referring or naming call. */
export interface RoseSingleResult {
  readonly pack: string
  readonly rle: Rle
  readonly bbox: Bbox
  readonly area: number
  /** The generated name; empty for box/point prompts, which do not name. */
  readonly name: string
  /** sigmoid(objectness) of the chosen patch; the predicted IoU for box/point prompts. */
  readonly score: number
  /** The chosen patch and its role; −1 and '' for box/point prompts. */
  readonly patch: number
  readonly role: string
  /** The instruction sent to the model (empty for box/point prompts). */
  readonly prompt: string
  readonly timings: RoseTimings
}

/** The three refinement situations of the paper (section 7.3). */
export type RefineSituation = 'mask' | 'category' | 'missed'

/** A refinement request: the situation and what it needs. */
export interface RefineRequest {
  readonly situation: RefineSituation
  /** The instance's current mask (situations `mask` and `category`). */
  readonly mask?: Rle
  /** The wrong name (situation `category`). */
  readonly category?: string
  /** `[x, y, width, height]` around the missed object (situation `missed`). */
  readonly box?: readonly [number, number, number, number]
  /** Which phrasing of the situation's template list; 0 (the default) unless the user picks another. */
  readonly phrasing?: number
}

/** An image ready for prompts: its frames and its SAM embedding. */
export interface PreparedRoseImage {
  readonly key: string
  readonly width: number
  readonly height: number
  /** True when it was already cached (or being computed) before this call. */
  readonly cached: boolean
  /** sam_encoder time for this image (0 when cached). */
  readonly encodeMs: number
}

interface Prepared {
  readonly key: string
  readonly width: number
  readonly height: number
  readonly vision: Letterbox
  readonly sam: Letterbox
  readonly visionPixels: FramePixels
  /** The sam_encoder input, kept only for a pack whose category adapter reads it (12 MB at Ls = 1024). */
  readonly samInput: Float32Array | null
  /** Every sam_encoder output by name (the decoder takes those it declares). */
  readonly samOutputs: TensorMap
  readonly encodeMs: number
  taps?: ImageTaps
}

interface DecodedFrames {
  readonly opened: OpenedImage
  readonly vision: Letterbox
  readonly sam: Letterbox
  readonly visionPixels: FramePixels
  readonly samPixels: FramePixels
}

interface PatchOutputs {
  readonly objectness: Float32Array
  readonly maskEmbeddings: Float32Array
  readonly categoryEmbeddings: Float32Array
  readonly siglipEmbeddings: Float32Array
}

/** Options of a pipeline. */
export interface RosePipelineOptions {
  /** Prepared images kept (SAM embeddings and frames); 8 by default. */
  readonly cacheSize?: number
}

/** ROSE's pipelines on one pack. */
export class RosePipeline {
  readonly manifest: PackManifest
  private readonly cache: LruCache<string, Promise<Prepared>>
  private readonly promptCache = new Map<string, Promise<{ prompt: PromptIds; rows: Float32Array }>>()
  // Frames of images decoded ahead of their turn (the next image of an auto-annotate run).
  private readonly decoded = new LruCache<string, Promise<DecodedFrames>>(2)

  constructor(
    readonly pack: ModelPack,
    options: RosePipelineOptions = {}
  ) {
    this.manifest = pack.manifest
    this.cache = new LruCache(options.cacheSize ?? 8)
  }

  /** Reads the image and computes its SAM embedding unless cached (LRU); the next prompts start from it. */
  async prepare(image: ImageRef, signal?: AbortSignal): Promise<PreparedRoseImage> {
    const key = await imageKey(image)
    const cached = this.cache.has(key)
    const p = await this.prepared(image, key, signal)
    return { key, width: p.width, height: p.height, cached, encodeMs: cached ? 0 : p.encodeMs }
  }

  /**
   * Starts decoding an image that a later call will want (the next image of an auto-annotate run,
   * as X-AnyLabeling prefetches): the file is read and resized while the current image's models run,
   * since sharp decodes off the main thread and the JS resize runs between their awaits. No model
   * runs here, so it never competes with them for the session. Resolves when the frames are decoded;
   * errors surface in the later call, not here.
   */
  async prefetch(image: ImageRef): Promise<void> {
    const key = await imageKey(image)
    if (this.cache.has(key)) return
    let pending = this.decoded.get(key)
    if (pending === undefined) {
      pending = this.decodeFrames(image.path)
      this.decoded.set(key, pending)
    }
    await pending.then(
      () => undefined,
      () => undefined
    )
  }

  /** Drops an image from the cache. */
  async forget(image: ImageRef): Promise<void> {
    this.cache.delete(await imageKey(image))
  }

  /** Keys of the prepared images, least recently used first. */
  cachedKeys(): string[] {
    return this.cache.keys()
  }

  /** Automatic segmentation (section 7.1): instances with names, scores and roles, and the semantic stack. */
  async dense(image: ImageRef, options: DenseOptions = {}, signal?: AbortSignal): Promise<DenseResult> {
    const start = performance.now()
    const clock = new RunClock()
    const m = this.manifest
    const task = options.task ?? 'dense'
    if (task !== 'dense' && task !== 'instance') throw new RangeError(`options.task: expected "dense" or "instance", got ${JSON.stringify(task)}`)
    const topN = checkInt(options.topN ?? m.inference.top_n, 'options.topN', 0)
    const threshold = checkNumber(options.objectnessThreshold ?? m.inference.objectness_threshold, 'options.objectnessThreshold')
    const prep = await this.preparedFor(image, clock, signal)
    const po = await this.patchOutputs(prep, m.prompts[task][0]!, null, clock, signal)
    // A Float32Array, like the trainer's torch.sigmoid: thresholds and ties compare the same values.
    const scores = po.objectness.map(sigmoid)
    const kept = selectPatches(scores, topN, threshold)
    const instances: RoseInstance[] = []
    if (kept.length > 0) {
      const { lowRes } = await this.decodeEmbeddings(prep, kept.map((p) => po.maskEmbeddings.subarray(p * m.sizes.mask_embedding_dim, (p + 1) * m.sizes.mask_embedding_dim)), clock, signal)
      const r = m.sizes.sam_mask_size
      const plane = r * r
      const stride = m.sizes.sam_num_mask_outputs * plane
      const offset = m.sizes.sam_mask_output_index * plane
      const survivors = nmsOnGrid(
        lowRes.subarray(offset),
        kept.length,
        r,
        stride,
        Math.ceil((prep.sam.contentHeight * r) / m.sizes.sam_image_size),
        Math.ceil((prep.sam.contentWidth * r) / m.sizes.sam_image_size),
        {
          maskThreshold: m.inference.mask_threshold,
          minMaskArea: m.inference.min_mask_area,
          nmsIou: m.inference.nms_iou,
          nmsContainment: m.inference.nms_containment
        }
      )
      // A survivor whose mask covers no pixel of the original image (possible only for images smaller
      // than the mask grid, e.g. 1×1) is not an object there; it is dropped before naming.
      const mapped = survivors
        .map((j) => {
          const logits = lowRes.subarray(j * stride + offset, j * stride + offset + plane)
          return { j, logits, runs: this.toRuns(prep, logits) }
        })
        .filter((s) => area(s.runs) > 0)
      const names = await this.names(
        prep,
        mapped.map((s) => rowOf(po.categoryEmbeddings, kept[s.j]!, m.sizes.hidden_size)),
        mapped.map((s) => s.logits),
        clock,
        signal
      )
      mapped.forEach(({ j, runs }, i) => {
        const patch = kept[j]!
        instances.push({
          ...maskFields(runs),
          name: names.names[i]!,
          nameIds: names.ids[i]!,
          score: scores[patch]!,
          patch,
          role: roleOfPatch(patch, m.sizes.grid, m.super_patch.layout),
          siglipEmbedding: rowOf(po.siglipEmbeddings, patch, m.sizes.siglip_dim).slice()
        })
      })
    }
    return {
      pack: this.pack.id,
      width: prep.width,
      height: prep.height,
      task,
      keptPatches: kept,
      instances,
      semantic: semanticStack(instances),
      countAnswer: countAnswer(m.prompts, instances.map((i) => i.name)),
      timings: timings(start, clock)
    }
  }

  /** A box and/or point prompt on the pack's own SAM (section 7.2); no name. */
  async segment(image: ImageRef, prompt: SegmentPrompt, signal?: AbortSignal): Promise<RoseSingleResult> {
    const start = performance.now()
    const clock = new RunClock()
    const prep = await this.preparedFor(image, clock, signal)
    checkPrompt(prompt, prep)
    const { coords, labels, count } = promptPoints(prompt, prep)
    const m = this.manifest
    const r = m.sizes.sam_mask_size
    // Section 6.6: a pack trained with it also gets the box as a dense rectangle.
    const maskInput =
      prompt.box !== undefined && m.inference.box_prompt_mask_input === 'rectangle' ? boxMaskInput(coords.subarray(2 * (count - 2), 2 * count), r, m.sizes.sam_image_size) : null
    const { iou, lowRes } = await this.runDecoder(prep, 1, count, coords, labels, null, clock, signal, maskInput)
    const plane = m.sizes.sam_mask_size ** 2
    const index = m.sizes.sam_mask_output_index
    const runs = this.toRuns(prep, lowRes.subarray(index * plane, (index + 1) * plane))
    return { pack: this.pack.id, ...maskFields(runs), name: '', score: iou[index]!, patch: -1, role: '', prompt: '', timings: timings(start, clock) }
  }

  /** Conversation-based refinement in one of the three situations (section 7.3): new mask and name. */
  async refine(image: ImageRef, request: RefineRequest, signal?: AbortSignal): Promise<RoseSingleResult> {
    const m = this.manifest
    if (typeof request !== 'object' || request === null) throw new TypeError('request: expected {situation, mask?, category?, box?}')
    const situation = request.situation
    const templates = situation === 'mask' ? m.prompts.refine_mask : situation === 'category' ? m.prompts.refine_category : situation === 'missed' ? m.prompts.refine_missed : undefined
    if (templates === undefined) throw new RangeError(`request.situation: expected "mask", "category" or "missed", got ${JSON.stringify(situation)}`)
    const phrasing = checkInt(request.phrasing ?? 0, 'request.phrasing', 0)
    if (phrasing >= templates.length) throw new RangeError(`request.phrasing: the pack has ${templates.length} phrasings of refine_${situation}, got ${phrasing}`)
    const start = performance.now()
    const clock = new RunClock()
    const prep = await this.preparedFor(image, clock, signal)
    let mask: Rle | null = null
    let box: readonly [number, number, number, number]
    if (situation === 'missed') {
      if (request.box === undefined) throw new TypeError('request.box: the missed-object situation needs the box [x, y, width, height] around the object')
      checkPrompt({ box: request.box }, prep)
      box = request.box
    } else {
      mask = checkMask(request.mask, prep, 'request.mask')
      box = toBbox(mask)
    }
    const values: Record<string, string> = { box: boxToText(box, prep) }
    if (situation === 'category') values['category'] = checkUserText(request.category, 'request.category', m)
    else if (templates[phrasing]!.includes('{category}')) values['category'] = ''
    const user = fillTemplate(templates[phrasing]!, values)
    return this.single(prep, user, mask, start, clock, signal)
  }

  /** Referring segmentation (`prompts.referring[0]` with the description): a missed object by its description. */
  async refer(image: ImageRef, description: string, signal?: AbortSignal): Promise<RoseSingleResult> {
    const text = checkUserText(description, 'description', this.manifest)
    const start = performance.now()
    const clock = new RunClock()
    const prep = await this.preparedFor(image, clock, signal)
    return this.single(prep, fillTemplate(this.manifest.prompts.referring[0]!, { description: text }), null, start, clock, signal)
  }

  /**
   * A name for a mask made without one (a box prompt, a drawing): the mask-incomplete situation with
   * the mask in the 4th channel; the chosen patch's decoded name is the suggestion. The mask the
   * model would draw comes back too, so the UI can tell how sure it is about the object.
   */
  async suggestName(image: ImageRef, mask: Rle, signal?: AbortSignal): Promise<RoseSingleResult> {
    return this.refine(image, { situation: 'mask', mask }, signal)
  }

  /** Drops the cached images and prompt embeddings (the sessions belong to the pack). */
  dispose(): void {
    this.cache.clear()
    this.promptCache.clear()
    this.decoded.clear()
  }

  // ---- stages ----

  private async single(prep: Prepared, user: string, mask: Rle | null, start: number, clock: RunClock, signal: AbortSignal | undefined): Promise<RoseSingleResult> {
    const m = this.manifest
    const po = await this.patchOutputs(prep, user, mask === null ? null : maskToContent(mask, prep.vision), clock, signal)
    const [patch] = topPatches(po.objectness, m.inference.refine_top_k)
    if (patch === undefined) throw new Error('the patch analyzer returned no patches')
    const { lowRes } = await this.decodeEmbeddings(prep, [rowOf(po.maskEmbeddings, patch, m.sizes.mask_embedding_dim)], clock, signal)
    const plane = m.sizes.sam_mask_size ** 2
    const index = m.sizes.sam_mask_output_index
    const logits = lowRes.subarray(index * plane, (index + 1) * plane)
    const names = await this.names(prep, [rowOf(po.categoryEmbeddings, patch, m.sizes.hidden_size)], [logits], clock, signal)
    const runs = this.toRuns(prep, logits)
    return {
      pack: this.pack.id,
      ...maskFields(runs),
      name: names.names[0]!,
      score: sigmoid(po.objectness[patch]!),
      patch,
      role: roleOfPatch(patch, m.sizes.grid, m.super_patch.layout),
      prompt: user,
      timings: timings(start, clock)
    }
  }

  // The prepared image of a call; when the call itself had to prepare it, the SAM encoder's run counts
  // towards the call's model time.
  private async preparedFor(image: ImageRef, clock: RunClock, signal: AbortSignal | undefined): Promise<Prepared> {
    const key = await imageKey(image)
    const cached = this.cache.has(key)
    const prep = await this.prepared(image, key, signal)
    if (!cached) clock.add('sam_encoder', prep.encodeMs)
    return prep
  }

  private prepared(image: ImageRef, key: string, signal: AbortSignal | undefined): Promise<Prepared> {
    throwIfAborted(signal)
    let pending = this.cache.get(key)
    if (pending === undefined) {
      // Not tied to the caller's signal: the next call on the same image wants the same work.
      pending = this.prepare_(image.path, key)
      this.cache.set(key, pending)
      pending.catch(() => {
        if (this.cache.get(key) === pending) this.cache.delete(key)
      })
    }
    return signal === undefined ? pending : raceAbort(pending, signal)
  }

  private async prepare_(path: string, key: string): Promise<Prepared> {
    const m = this.manifest
    // Frames decoded ahead by `prefetch` are taken over; otherwise decoded now.
    const ahead = this.decoded.get(key)
    this.decoded.delete(key)
    const { opened, vision, sam, visionPixels, samPixels } = await (ahead ?? this.decodeFrames(path))
    const encoder = await this.session('sam_encoder')
    const ls = m.sizes.sam_image_size
    const samInput = frameTensor(samPixels, ls, m.preprocessing.sam)
    const start = performance.now()
    const samOutputs = await encoder.run({ pixel_values: floatTensor(this.dtype('sam_encoder', 'pixel_values'), samInput, [1, 3, ls, ls]) })
    const encodeMs = performance.now() - start
    return {
      key,
      width: opened.width,
      height: opened.height,
      vision,
      sam,
      visionPixels,
      samInput: this.pack.has('category_adapter') ? samInput : null,
      samOutputs,
      encodeMs
    }
  }

  // The image's frames: decoded in the oriented frame and resized for both frames (no model runs).
  private async decodeFrames(path: string): Promise<DecodedFrames> {
    const m = this.manifest
    try {
      const opened = await openImage(path, { maxPixels: ENGINE_MAX_PIXELS })
      const vision = letterbox(opened, m.sizes.image_size)
      const sam = letterbox(opened, m.sizes.sam_image_size)
      const same = sam.contentWidth === vision.contentWidth && sam.contentHeight === vision.contentHeight
      const frames = await readFramePixels(opened, [
        { width: vision.contentWidth, height: vision.contentHeight },
        ...(same ? [] : [{ width: sam.contentWidth, height: sam.contentHeight }])
      ])
      return { opened, vision, sam, visionPixels: frames[0]!, samPixels: frames[same ? 0 : 1]! }
    } catch (error) {
      if (error instanceof ImageProblemError) throw new ImageProblemError(error.kind, `${path}: ${error.message}`, error.detail)
      throw error
    }
  }

  private async patchOutputs(prep: Prepared, user: string, mask: Uint8Array | null, clock: RunClock, signal: AbortSignal | undefined): Promise<PatchOutputs> {
    const m = this.manifest
    const L = m.sizes.image_size
    const D = m.sizes.hidden_size
    const S2 = m.sizes.num_patches
    const [vision, graphs, analyzer] = await Promise.all([this.session('vision_encoder'), this.llmGraphs(), this.session('patch_analyzer')])
    const pixelValues = frameTensor(prep.visionPixels, L, m.preprocessing.vision, mask, 4)
    const visionOut = await clock.run(vision, 'vision_encoder', { pixel_values: floatTensor(this.dtype('vision_encoder', 'pixel_values'), pixelValues, [1, 4, L, L]) }, ['image_embeds'], signal)
    const imageEmbeds = floatData(visionOut['image_embeds']!)
    const { prompt, rows } = await this.promptRows(chatText(m.prompts, user), m.tokenizer.image_token_id, graphs, clock, signal)
    const hidden = await prefillHidden(graphs, m, spliceRows(rows, prompt.placeholder, imageEmbeds, D), clock, signal)
    const patchStates = hidden.subarray(prompt.placeholder * D, (prompt.placeholder + S2) * D)
    const out = await clock.run(analyzer, 'patch_analyzer', { hidden_states: floatTensor(this.dtype('patch_analyzer', 'hidden_states'), patchStates, [1, S2, D]) }, undefined, signal)
    return {
      objectness: floatData(out['objectness_logits']!),
      maskEmbeddings: floatData(out['mask_embeddings']!),
      categoryEmbeddings: floatData(out['category_embeddings']!),
      siglipEmbeddings: floatData(out['siglip_embeddings']!)
    }
  }

  // The token rows of a prompt never change for a pack: embedded once, kept for the pack's lifetime.
  private promptRows(text: string, placeholderId: number, graphs: LlmGraphs, clock: RunClock, signal: AbortSignal | undefined): Promise<{ prompt: PromptIds; rows: Float32Array }> {
    const key = `${placeholderId}\u0000${text}`
    let pending = this.promptCache.get(key)
    if (pending === undefined) {
      pending = (async () => {
        const prompt = promptIds(this.pack.tokenizer, text, placeholderId)
        const ids = prompt.ids.filter((_, i) => i !== prompt.placeholder)
        return { prompt, rows: await embedIds(graphs, ids, clock, signal) }
      })()
      // User texts (descriptions, wrong names) vary; keep the cache from growing without bound.
      if (this.promptCache.size > 256) this.promptCache.clear()
      this.promptCache.set(key, pending)
      pending.catch(() => this.promptCache.delete(key))
    }
    return pending
  }

  private async decodeEmbeddings(prep: Prepared, embeddings: readonly Float32Array[], clock: RunClock, signal: AbortSignal | undefined): Promise<{ iou: Float32Array; lowRes: Float32Array }> {
    const count = embeddings.length
    const E = this.manifest.sizes.mask_embedding_dim
    const promptEmbedding = new Float32Array(count * E)
    embeddings.forEach((row, i) => promptEmbedding.set(row, i * E))
    // ROSE's recipe: one padding point (0, 0, −1) and the embedding as the sparse prompt.
    return this.runDecoder(prep, count, 1, new Float32Array(count * 2), new Float32Array(count).fill(-1), promptEmbedding, clock, signal)
  }

  private async runDecoder(
    prep: Prepared,
    count: number,
    points: number,
    coords: Float32Array,
    labels: Float32Array,
    promptEmbedding: Float32Array | null,
    clock: RunClock,
    signal: AbortSignal | undefined,
    maskInput: Float32Array | null = null
  ): Promise<{ iou: Float32Array; lowRes: Float32Array }> {
    const m = this.manifest
    const decoder = await this.session('sam_decoder')
    const decl = m.graphs.sam_decoder!
    const r = m.sizes.sam_mask_size
    const M = m.sizes.sam_num_mask_outputs
    const E = m.sizes.mask_embedding_dim
    const iou = new Float32Array(count * M)
    const lowRes = new Float32Array(count * M * r * r)
    // Batches bound the decoder's working memory (a 7 B pack keeps 100 patches at r = 256).
    const batch = 64
    for (let from = 0; from < count; from += batch) {
      const n = Math.min(batch, count - from)
      const feeds: TensorMap = {}
      for (const name of Object.keys(decl.inputs)) {
        const passed = prep.samOutputs[name]
        if (passed !== undefined) feeds[name] = passed
      }
      const dt = (name: string): 'float32' | 'float16' | 'int64' => decl.inputs[name]!.dtype
      feeds['point_coords'] = floatTensor(dt('point_coords'), coords.subarray(from * points * 2, (from + n) * points * 2), [n, points, 2])
      feeds['point_labels'] = floatTensor(dt('point_labels'), labels.subarray(from * points, (from + n) * points), [n, points])
      feeds['mask_input'] = floatTensor(dt('mask_input'), maskInput === null ? new Float32Array(n * r * r) : maskInput.subarray(from * r * r, (from + n) * r * r), [n, 1, r, r])
      feeds['has_mask_input'] = floatTensor(dt('has_mask_input'), new Float32Array(n).fill(maskInput === null ? 0 : 1), [n])
      feeds['prompt_embedding'] = floatTensor(dt('prompt_embedding'), promptEmbedding === null ? new Float32Array(n * E) : promptEmbedding.subarray(from * E, (from + n) * E), [n, E])
      feeds['has_prompt_embedding'] = floatTensor(dt('has_prompt_embedding'), new Float32Array(n).fill(promptEmbedding === null ? 0 : 1), [n])
      const out = await clock.run(decoder, 'sam_decoder', feeds, ['iou_predictions', 'low_res_masks'], signal)
      iou.set(floatData(out['iou_predictions']!), from * M)
      lowRes.set(floatData(out['low_res_masks']!), from * M * r * r)
    }
    // Every decoded plane loses its stray blobs before NMS, naming or mapping (model-pack.md 8.1).
    for (let plane = 0; plane < count * M; plane++) {
      removeFragments(lowRes.subarray(plane * r * r, (plane + 1) * r * r), r, m.inference.mask_threshold, m.inference.min_component_fraction)
    }
    return { iou, lowRes }
  }

  private async names(prep: Prepared, categoryRows: readonly Float32Array[], lowResPlanes: readonly Float32Array[], clock: RunClock, signal: AbortSignal | undefined): Promise<{ names: string[]; ids: number[][] }> {
    const count = categoryRows.length
    if (count === 0) return { names: [], ids: [] }
    const m = this.manifest
    const D = m.sizes.hidden_size
    let embeddings: Float32Array = new Float32Array(count * D)
    categoryRows.forEach((row, i) => embeddings.set(row, i * D))
    if (this.pack.has('category_adapter')) {
      const adapter = await this.session('category_adapter')
      const r = m.sizes.sam_mask_size
      const ls = m.sizes.sam_image_size
      const masks = new Float32Array(count * r * r)
      lowResPlanes.forEach((plane, i) => masks.set(plane, i * r * r))
      const dt = (name: string): 'float32' | 'float16' | 'int64' => m.graphs.category_adapter!.inputs[name]!.dtype
      const out = await clock.run(
        adapter,
        'category_adapter',
        {
          category_embeddings: floatTensor(dt('category_embeddings'), embeddings, [count, D]),
          low_res_masks: floatTensor(dt('low_res_masks'), masks, [count, 1, r, r]),
          pixel_values: floatTensor(dt('pixel_values'), prep.samInput!, [1, 3, ls, ls])
        },
        ['adapted_category_embeddings'],
        signal
      )
      embeddings = floatData(out['adapted_category_embeddings']!)
    }
    const graphs = await this.llmGraphs()
    const { prompt, rows } = await this.promptRows(categoryText(m.prompts), m.tokenizer.category_token_id, graphs, clock, signal)
    const length = rows.length / D + 1
    const batchRows = new Float32Array(count * length * D)
    for (let i = 0; i < count; i++) batchRows.set(spliceRows(rows, prompt.placeholder, embeddings.subarray(i * D, (i + 1) * D), D), i * length * D)
    const ids = await greedyDecode(graphs, m, batchRows, count, clock, signal)
    return { names: ids.map((seq) => cleanName(this.pack.tokenizer.decode(seq))), ids }
  }

  private toRuns(prep: Prepared, logits: Float32Array): RleRuns {
    const m = this.manifest
    prep.taps ??= imageTaps(prep.width, prep.height, m.sizes.sam_mask_size, m.sizes.sam_image_size)
    return logitsToRuns(logits, m.sizes.sam_mask_size, prep.taps, m.inference.mask_threshold)
  }

  private async llmGraphs(): Promise<LlmGraphs> {
    const [embed, decoder] = await Promise.all([this.session('embed_tokens'), this.session('llm_decoder')])
    return { embed, decoder }
  }

  private session(graph: GraphName): Promise<GraphSession> {
    return this.pack.session(graph)
  }

  private dtype(graph: GraphName, input: string): 'float32' | 'float16' | 'int64' {
    return this.manifest.graphs[graph]!.inputs[input]!.dtype
  }
}

// ---- pure helpers ----

/** The decoder's point inputs for a box/point prompt (section 6.6), in SAM-frame pixels (original × s). */
export function promptPoints(prompt: SegmentPrompt, image: { width: number; height: number; sam: Letterbox }): { coords: Float32Array; labels: Float32Array; count: number } {
  const s = image.sam.scale
  const points = prompt.points ?? []
  const count = points.length + (prompt.box !== undefined ? 2 : 1)
  const coords = new Float32Array(count * 2)
  const labels = new Float32Array(count)
  points.forEach((p, i) => {
    coords[2 * i] = p.x * s
    coords[2 * i + 1] = p.y * s
    labels[i] = p.positive ? 1 : 0
  })
  const k = points.length
  if (prompt.box !== undefined) {
    // Clipped to the image: a drag may run past the edge.
    const [x, y, w, h] = prompt.box
    const x0 = Math.max(0, x)
    const y0 = Math.max(0, y)
    const x1 = Math.min(image.width, x + w)
    const y1 = Math.min(image.height, y + h)
    coords.set([x0 * s, y0 * s, x1 * s, y1 * s], 2 * k)
    labels[k] = 2
    labels[k + 1] = 3
  } else {
    labels[k] = -1
  }
  return { coords, labels, count }
}

/**
 * The dense form of a box prompt (section 6.6, `data.box_mask_input` of the trainer): an r×r logit
 * map, +4 on cells whose centre lies in the box — `x1·r/Ls ≤ x + 0.5 < x2·r/Ls`, same for y — and
 * −4 elsewhere. `corners` are the box's two decoder points (x1, y1, x2, y2) in SAM-frame pixels.
 */
export function boxMaskInput(corners: Float32Array, r: number, frame: number): Float32Array {
  const k = r / frame
  const [x1, y1, x2, y2] = [corners[0]! * k, corners[1]! * k, corners[2]! * k, corners[3]! * k]
  const out = new Float32Array(r * r)
  for (let y = 0; y < r; y++) {
    const inY = y + 0.5 >= y1 && y + 0.5 < y2
    for (let x = 0; x < r; x++) out[y * r + x] = inY && x + 0.5 >= x1 && x + 0.5 < x2 ? 4 : -4
  }
  return out
}

/** Same-name instances stacked into one mask each (union), names in first-appearance order. */
export function semanticStack(instances: readonly RoseInstance[]): SemanticSegment[] {
  const groups = new Map<string, number[]>()
  instances.forEach((inst, i) => {
    const list = groups.get(inst.name)
    if (list === undefined) groups.set(inst.name, [i])
    else list.push(i)
  })
  return [...groups].map(([name, members]) => {
    const runs = merge(members.map((i) => instances[i]!.rle))
    return { name, ...maskFields(runs), instances: members }
  })
}

function maskFields(runs: RleRuns): { rle: Rle; bbox: Bbox; area: number } {
  return { rle: compress(runs), bbox: toBbox(runs), area: area(runs) }
}

function rowOf(data: Float32Array, row: number, width: number): Float32Array {
  return data.subarray(row * width, (row + 1) * width)
}

function timings(start: number, clock: RunClock): RoseTimings {
  return { totalMs: performance.now() - start, modelMs: clock.total(), runs: clock.runs() }
}

function checkInt(value: unknown, name: string, min: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) throw new RangeError(`${name}: expected an integer ≥ ${min}, got ${String(value)}`)
  return value
}

function checkNumber(value: unknown, name: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new RangeError(`${name}: expected a finite number, got ${String(value)}`)
  return value
}

function checkMask(mask: unknown, image: { width: number; height: number }, name: string): Rle {
  const m = mask as Rle | undefined
  if (typeof m !== 'object' || m === null || !Array.isArray(m.size) || typeof m.counts !== 'string') {
    throw new TypeError(`${name}: expected a COCO RLE {size: [height, width], counts: string}`)
  }
  if (m.size[0] !== image.height || m.size[1] !== image.width) {
    throw new RangeError(`${name}.size: the mask is ${m.size[0]}×${m.size[1]} (height×width) but the image is ${image.height}×${image.width}`)
  }
  let pixels: number
  try {
    pixels = area(m)
  } catch (error) {
    throw new RangeError(`${name}.counts: ${(error as Error).message}`)
  }
  if (pixels === 0) throw new RangeError(`${name}: the mask is empty`)
  return { size: [m.size[0], m.size[1]], counts: m.counts }
}

