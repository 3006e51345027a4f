/**
 * The messages between main and the engine host process. One map of method → params/result types
 * (`EngineMethods`) types both ends, as the app's API contract does for the renderer. Messages are
 * plain data that survive structured clone (Electron's `postMessage`, Node's `fork` with advanced
 * serialization): typed arrays travel as such, masks as COCO compressed RLE strings.
 *
 *   main → host   request {id, method, params} · cancel {id} · shutdown
 *   host → main   ready {pid} · progress {id, progress} · response {id, ok, result | error}
 */
import type { SerializedError } from '../../../src-preload/contract'
import { CancellationError, ExpectedError, serializeError } from '../../common/errors'
import type { ImageRef, PreparedImage, SegmentPrompt, SegmentResult } from '../interactive/interactive-segmenter'
import type { PackListing } from '../pack/pack-registry'
import type { DenseOptions, DenseResult, PreparedRoseImage, RefineRequest, RoseSingleResult } from '../rose/rose-pipeline'
import type { DeviceSetting } from '../providers'
import type { PoolStatus } from '../session-pool'
import type { JobProgress, Priority, QueueState } from './job-queue'

/** The protocol's version; a host that answers `ready` with another one is refused. */
export const PROTOCOL_VERSION = 1

/** The engine's state as the UI shows it. */
export interface EngineStatus extends PoolStatus {
  readonly pid: number
  readonly segmenter: { readonly encoder: string; readonly decoder: string; readonly cachedImages: number }
  /** The active model pack (`name@version`), null before one is activated. */
  readonly activePack: string | null
  readonly queue: QueueState
}

/**
 * Every ROSE call may name the pack it wants (`name@version`): the host activates it first when
 * another one is active, so a call retried on a restarted host runs on the same pack.
 */
export interface PackChoice {
  readonly pack?: string
}

/** Every method the host answers: its params and its result. */
export interface EngineMethods {
  /** Devices, each loaded graph's providers, why CUDA is not used, the queue. */
  'engine.status': { params: Record<string, never>; result: EngineStatus }
  /** Switches the device setting; sessions are recreated on their next use. */
  'engine.setDevice': { params: { device: DeviceSetting }; result: EngineStatus }
  /** Computes an image's embedding (the image the user opened) and queues `prefetch` behind it. */
  'segmenter.prepare': { params: { image: ImageRef; prefetch?: readonly ImageRef[] }; result: PreparedImage }
  /** Computes embeddings as batch work, one job per image; progress counts images. */
  'segmenter.prefetch': { params: { images: readonly ImageRef[] }; result: { readonly prepared: number; readonly failed: number } }
  /** A box and/or point prompt → mask RLE + score, at interactive priority. */
  'segmenter.segment': { params: { image: ImageRef; prompt: SegmentPrompt }; result: SegmentResult }
  /** Drops an image's embedding. */
  'segmenter.forget': { params: { image: ImageRef }; result: null }
  /** The installed model packs, broken ones with their reason. */
  'pack.list': { params: Record<string, never>; result: readonly PackListing[] }
  /** Makes a pack active (hashes, every graph loaded and checked); the previous one stays on failure. */
  'pack.activate': { params: { id: string }; result: PackListing }
  /** Reads an image into the active pack's frames and SAM embedding (cached), at foreground priority. */
  'rose.prepare': { params: PackChoice & { image: ImageRef }; result: PreparedRoseImage }
  /** Automatic segmentation of one image (batch priority: one job per image); `next` is decoded meanwhile. */
  'rose.dense': { params: PackChoice & { image: ImageRef; options?: DenseOptions; next?: ImageRef }; result: DenseResult }
  /** A box and/or point prompt on the pack's own SAM. */
  'rose.segment': { params: PackChoice & { image: ImageRef; prompt: SegmentPrompt }; result: RoseSingleResult }
  /** Refinement of an instance in one of the three situations: new mask and name. */
  'rose.refine': { params: PackChoice & { image: ImageRef; request: RefineRequest }; result: RoseSingleResult }
  /** Referring segmentation: the object a description names. */
  'rose.refer': { params: PackChoice & { image: ImageRef; description: string }; result: RoseSingleResult }
  /** A name for a mask made without one. */
  'rose.name': { params: PackChoice & { image: ImageRef; mask: { readonly size: readonly [number, number]; readonly counts: string } }; result: RoseSingleResult }
  /** Test hosts only: waits `ms` in `steps`, reporting progress, at a priority. */
  'debug.work': { params: { ms: number; steps?: number; priority?: Priority; label?: string }; result: { readonly label: string; readonly pid: number } }
}

/** A method name. */
export type EngineMethod = keyof EngineMethods
/** A method's params. */
export type ParamsOf<M extends EngineMethod> = EngineMethods[M]['params']
/** A method's result. */
export type ResultOf<M extends EngineMethod> = EngineMethods[M]['result']

/**
 * Methods whose repetition is harmless: after a crash the supervisor sends them once more to the
 * new host instead of failing them. A prompt is retried too — it computes, it changes nothing.
 */
export const IDEMPOTENT_METHODS: ReadonlySet<EngineMethod> = new Set<EngineMethod>([
  'engine.status',
  'engine.setDevice',
  'segmenter.prepare',
  'segmenter.prefetch',
  'segmenter.segment',
  'segmenter.forget',
  'pack.list',
  'pack.activate',
  'rose.prepare',
  'rose.dense',
  'rose.segment',
  'rose.refine',
  'rose.refer',
  'rose.name'
])

/** A message from main to the host. */
export type ToHost =
  | { readonly type: 'request'; readonly id: number; readonly method: EngineMethod; readonly params: unknown }
  | { readonly type: 'cancel'; readonly id: number }
  | { readonly type: 'shutdown' }

/** A message from the host to main. */
export type FromHost =
  | { readonly type: 'ready'; readonly pid: number; readonly protocol: number }
  | { readonly type: 'progress'; readonly id: number; readonly progress: JobProgress }
  | { readonly type: 'response'; readonly id: number; readonly ok: true; readonly result: unknown }
  | { readonly type: 'response'; readonly id: number; readonly ok: false; readonly error: SerializedError }

/** True when a value has the shape of a message to the host. */
export function isToHost(value: unknown): value is ToHost {
  if (typeof value !== 'object' || value === null) return false
  const m = value as { type?: unknown; id?: unknown; method?: unknown }
  if (m.type === 'shutdown') return true
  if (m.type === 'cancel') return Number.isInteger(m.id)
  return m.type === 'request' && Number.isInteger(m.id) && typeof m.method === 'string'
}

/** True when a value has the shape of a message from the host. */
export function isFromHost(value: unknown): value is FromHost {
  if (typeof value !== 'object' || value === null) return false
  const m = value as { type?: unknown; id?: unknown; ok?: unknown; pid?: unknown }
  if (m.type === 'ready') return Number.isInteger(m.pid)
  if (m.type === 'progress') return Number.isInteger(m.id)
  return m.type === 'response' && Number.isInteger(m.id) && typeof m.ok === 'boolean'
}

/**
 * An error as the host sends it. Argument errors (TypeError/RangeError, by the engine's convention
 * naming the parameter) are the caller's mistake and travel as INVALID_ARGUMENT with their message.
 */
export function serializeEngineError(error: unknown): SerializedError {
  if (error instanceof TypeError || error instanceof RangeError) {
    return { name: error.name, code: 'INVALID_ARGUMENT', message: error.message }
  }
  return serializeError(error)
}

/** An error the engine host reported, rebuilt in main with the host's name and code. */
export class EngineRequestError extends ExpectedError {
  override readonly name: string = 'EngineRequestError'
  constructor(
    /** The error's name in the host (`ImageProblemError`, `RangeError`, …). */
    readonly remoteName: string,
    code: string,
    message: string,
    cause?: string
  ) {
    super(code, message, cause === undefined ? undefined : { cause })
  }
}

/** Rebuilds an error from the host: cancellation as CancellationError, anything else as EngineRequestError. */
export function deserializeEngineError(error: SerializedError): Error {
  if (error.code === 'CANCELLED') return new CancellationError(error.message)
  return new EngineRequestError(error.name, error.code, error.message, error.cause)
}
