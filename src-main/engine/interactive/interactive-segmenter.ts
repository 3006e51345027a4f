/**
 * The interactive segmenter slot: box and point prompts on an image whose embedding is computed
 * ahead of time. Any SAM-convention ONNX pair fills it (see sam-segmenter.ts); the ROSE pack's own
 * SAM graphs will fill it too, through the same interface.
 */
import type { Bbox, Rle } from '../../masks/rle'
import type { SegmentPrompt } from './sam-preprocess'

export type { PromptPoint, SegmentPrompt } from './sam-preprocess'

/**
 * An image the engine reads: its path, and a key that changes when its content does (the store's
 * content hash). Without a key the path, size and modification time stand in for one.
 */
export interface ImageRef {
  readonly path: string
  readonly key?: string
}

/** An image whose embedding is ready. */
export interface PreparedImage {
  readonly key: string
  /** Size of the oriented frame, which masks are in. */
  readonly width: number
  readonly height: number
  /** True when the embedding was already cached (or being computed) before this call. */
  readonly cached: boolean
  /** Time the encoder took for this image (0 when cached). */
  readonly encodeMs: number
}

/** Where the time of one prompt went, in milliseconds. */
export interface SegmentTimings {
  /** Waiting for or computing the embedding (0 when it was ready). */
  readonly embeddingMs: number
  /** The decoder's `session.run`. */
  readonly decoderMs: number
  /** Upsampling, thresholding and RLE encoding. */
  readonly postprocessMs: number
  /** From the call to the RLE. */
  readonly totalMs: number
}

/** A mask at full resolution in the oriented frame, with the model's own quality estimate. */
export interface SegmentResult {
  readonly rle: Rle
  /** `[x, y, width, height]` as COCO's toBbox gives it. */
  readonly bbox: Bbox
  /** Foreground pixels; 0 when the prompt selected nothing. */
  readonly area: number
  /** The decoder's predicted IoU for the chosen mask. */
  readonly score: number
  readonly timings: SegmentTimings
}

/** Prompts on images, answered at decoder speed once an image is prepared. */
export interface InteractiveSegmenter {
  /** Computes the image's embedding if it is not cached; resolves when it is. */
  prepare(image: ImageRef, signal?: AbortSignal): Promise<PreparedImage>
  /** Segments the object a prompt points at; prepares the image first when needed. */
  segment(image: ImageRef, prompt: SegmentPrompt, signal?: AbortSignal): Promise<SegmentResult>
  /** True when the image's embedding is cached or being computed. */
  isPrepared(image: ImageRef): Promise<boolean>
  /** Drops an image's embedding. */
  forget(image: ImageRef): Promise<void>
  /** Releases the sessions and the cache. */
  dispose(): Promise<void>
}
