/**
 * The auto-annotate job: dense ROSE prediction over one image, a selection, or every image without
 * proposals, each image's results stored as proposed instances (source `model`, model_version the
 * pack's `name@version`, score = objectness) in one transaction together with the record that this
 * pack version annotated the image. The engine runs one image per batch job, so prompts overtake it
 * between images. A job that stops (cancel, app restart, crash) is resumed by running it again: the
 * records make it skip finished images, so nothing is stored twice.
 */
import type { AutoAnnotateReportValue, ItemProblemValue } from '../../src-preload/contract'
import { errorMessage, isCancellation } from '../common/errors'
import { resolveProjectPath } from '../images/project-path'
import type { ImageRef } from '../engine/interactive/interactive-segmenter'
import type { DenseResult } from '../engine/rose/rose-pipeline'
import type { JobContext } from '../jobs/job-manager'
import type { ProjectStore } from '../store/project-store'

/** What an auto-annotate job is asked to do; stored as the job's params, so a restart can resume it. */
export interface AutoAnnotateParams {
  readonly imageIds: readonly number[] | 'all-without-proposals'
  /** The pack (`name@version`) every image of the job is annotated with. */
  readonly pack: string
  /** The interrupted job this one continues. */
  readonly resumes?: number
}

/** The engine as the job needs it. */
export interface DenseEngine {
  /** Dense prediction of `image`; `next`, the image after it, may be decoded meanwhile. */
  dense(image: ImageRef, pack: string, signal?: AbortSignal, next?: ImageRef): Promise<DenseResult>
}

/** The kind of the job in the jobs table. */
export const AUTO_ANNOTATE_JOB = 'auto-annotate'

// Failures that concern the job as a whole: going on with the next image would fail the same way.
const FATAL_CODES = new Set(['ENGINE_UNAVAILABLE', 'PACK_BROKEN', 'NO_MODEL_PACK'])

/**
 * Runs the job: images in id order; per image one `rose.dense` call and one transaction. An image
 * the engine cannot read (or that crashed the engine twice) is reported and skipped; a broken pack
 * or an engine that stays down ends the job, to be resumed later. `onImage` is told each stored image.
 */
export async function runAutoAnnotate(
  store: ProjectStore,
  engine: DenseEngine,
  params: AutoAnnotateParams,
  context: JobContext,
  onImage: (imageId: number) => void
): Promise<AutoAnnotateReportValue> {
  const started = performance.now()
  const { todo, done } = store.autoAnnotateTargets(params.imageIds, params.pack)
  const failed: ItemProblemValue[] = []
  let annotated = 0
  let instances = 0
  let processed = 0
  const total = todo.length
  const report = (message: string | null): void => {
    const seconds = (performance.now() - started) / 1000
    const rate = processed > 0 && seconds > 0 ? processed / seconds : null
    context.progress({
      done: processed,
      total,
      ratePerSecond: rate,
      etaSeconds: rate ? (total - processed) / rate : null,
      message
    })
  }
  report(done.length > 0 ? `${done.length} image(s) already annotated by ${params.pack}` : null)
  const refOf = (imageId: number): { image: ImageRef; path: string } => {
    const row = store.getImage(imageId)
    return { image: { path: resolveProjectPath(store.root, row.path), key: row.contentHash }, path: row.path }
  }
  for (const [index, imageId] of todo.entries()) {
    if (context.signal.aborted) break
    let image: ImageRef
    let path: string
    let next: ImageRef | undefined
    try {
      ;({ image, path } = refOf(imageId))
    } catch (error) {
      // Deleted since the job started.
      failed.push({ item: `image ${imageId}`, reason: errorMessage(error) })
      processed++
      continue
    }
    const following = todo[index + 1]
    try {
      if (following !== undefined) next = refOf(following).image
    } catch {
      // The next image is gone; its own turn reports it.
    }
    let result: DenseResult
    try {
      result = await engine.dense(image, params.pack, context.signal, next)
    } catch (error) {
      if (isCancellation(error)) throw error
      const code = (error as { code?: unknown }).code
      if (typeof code === 'string' && FATAL_CODES.has(code)) throw error
      failed.push({ item: path, reason: errorMessage(error) })
      processed++
      report(path)
      continue
    }
    const saved = store.saveAutoAnnotation(
      imageId,
      result.pack,
      context.jobId,
      result.instances.map((inst) => ({
        rle: inst.rle,
        bbox: inst.bbox,
        area: inst.area,
        categoryText: inst.name || 'object',
        score: inst.score,
        role: inst.role,
        embedding: inst.siglipEmbedding
      }))
    )
    if (saved.saved) {
      annotated++
      instances += saved.inserted
      onImage(imageId)
    }
    processed++
    report(path)
  }
  const elapsedSeconds = (performance.now() - started) / 1000
  return {
    pack: params.pack,
    images: todo.length + done.length,
    annotated,
    alreadyDone: done.length,
    instances,
    failed,
    elapsedSeconds,
    imagesPerSecond: processed > 0 && elapsedSeconds > 0 ? processed / elapsedSeconds : null
  }
}
