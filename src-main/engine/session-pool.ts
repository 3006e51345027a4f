/**
 * Creates each graph's onnxruntime session once, on the device the settings and the machine allow,
 * hands the same session to every caller, and disposes them together. The CUDA decision is made
 * once per pool (probes are cheap but not free) and revised when a CUDA session fails to load, so
 * that the status the UI shows carries the library's own error.
 */
import { availableParallelism } from 'node:os'
import { existsSync } from 'node:fs'
import { InferenceSession } from 'onnxruntime-node'
import { throwIfAborted } from '../common/errors'
import { checkFeeds, checkFetches, type GraphSession, type RunOptions, type TensorMap, type TensorSpec } from './graph-session'
import {
  cudaLoadFailed,
  decideCuda,
  GPU_SETUP_COMMAND,
  parseDeviceSetting,
  providersFor,
  systemCudaProbes,
  type CudaProbes,
  type CudaStatus,
  type Device,
  type DeviceSetting,
  type ProviderName
} from './providers'

/** How a pool creates sessions. */
export interface SessionPoolOptions {
  /** The device setting (`auto` by default). */
  readonly device?: DeviceSetting
  /** Machine checks for CUDA; the real ones by default. */
  readonly probes?: CudaProbes
  /** Threads per operator on the CPU provider; by default all cores up to 8. */
  readonly threads?: number
  /**
   * Let onnxruntime's CPU worker threads spin between runs (its default). Off by default: the engine
   * host shares the cores with main, the renderer and other processes, and on the 2-core build
   * machine spinning threads made a bare IPC round trip take 4 ms instead of 0.1 ms and dense
   * annotation 2.5× slower (docs/engine.md, "Measured").
   */
  readonly spinning?: boolean
}

/** Where one graph runs, for status displays. */
export interface GraphStatus {
  readonly graph: string
  readonly file: string
  readonly device: Device
  readonly providers: readonly ProviderName[]
}

/** The pool's view of devices: the setting, what is known about CUDA, and each loaded graph. */
export interface PoolStatus {
  readonly setting: DeviceSetting
  readonly cuda: CudaStatus
  readonly threads: number
  readonly graphs: readonly GraphStatus[]
}

/** The default number of CPU threads per operator: all cores, capped where more stop paying off. */
export function defaultThreads(): number {
  return Math.max(1, Math.min(availableParallelism(), 8))
}

/** Sessions by graph, created once and reused; disposing the pool releases them all. */
export class SessionPool {
  private setting: DeviceSetting
  private readonly probes: CudaProbes
  readonly threads: number
  private readonly spinning: boolean
  private cuda: Promise<CudaStatus> | undefined
  private readonly sessions = new Map<string, Promise<OrtGraphSession>>()
  private disposed = false

  constructor(options: SessionPoolOptions = {}) {
    this.setting = parseDeviceSetting(options.device ?? 'auto', 'options.device')
    this.probes = options.probes ?? systemCudaProbes()
    const threads = options.threads ?? defaultThreads()
    if (!Number.isInteger(threads) || threads < 1) throw new RangeError(`options.threads: expected a positive integer, got ${threads}`)
    this.threads = threads
    this.spinning = options.spinning ?? false
  }

  /**
   * The session for a graph, created on first use. A second call with the same graph and file
   * returns the same session; the same graph with another file is a bug (RangeError).
   */
  acquire(graph: string, file: string): Promise<GraphSession> {
    if (this.disposed) return Promise.reject(new Error('The session pool has been disposed'))
    if (typeof graph !== 'string' || graph.length === 0) return Promise.reject(new TypeError(`graph: expected a non-empty string, got ${typeof graph}`))
    if (typeof file !== 'string' || file.length === 0) return Promise.reject(new TypeError(`file: expected a path, got ${typeof file}`))
    const existing = this.sessions.get(graph)
    if (existing !== undefined) {
      return existing.then((session) => {
        if (session.file !== file) throw new RangeError(`file: graph ${graph} is already loaded from ${session.file}, not ${file}`)
        return session
      })
    }
    const created = this.create(graph, file)
    this.sessions.set(graph, created)
    // A failed creation is not cached: the next call tries again (the file may have been fixed).
    created.catch(() => {
      if (this.sessions.get(graph) === created) this.sessions.delete(graph)
    })
    return created
  }

  /** Disposes one graph's session (e.g. when a pack is switched). */
  async release(graph: string): Promise<void> {
    const session = this.sessions.get(graph)
    if (session === undefined) return
    this.sessions.delete(graph)
    ;(await session.catch(() => undefined))?.dispose()
  }

  /** Changes the device setting; sessions are recreated on their next use, on the new device. */
  async setDevice(setting: DeviceSetting): Promise<void> {
    this.setting = parseDeviceSetting(setting, 'setting')
    this.cuda = undefined
    await Promise.all([...this.sessions.keys()].map((graph) => this.release(graph)))
  }

  /** What the UI shows: the setting, CUDA's state (with the reason and fix when unused), each graph's device. */
  async status(): Promise<PoolStatus> {
    const cuda = await this.cudaStatus()
    const graphs: GraphStatus[] = []
    for (const pending of this.sessions.values()) {
      const session = await pending.catch(() => undefined)
      if (session !== undefined) graphs.push({ graph: session.graph, file: session.file, device: session.device, providers: session.providers })
    }
    return { setting: this.setting, cuda, threads: this.threads, graphs }
  }

  /** Releases every session. */
  async dispose(): Promise<void> {
    if (this.disposed) return
    this.disposed = true
    const pending = [...this.sessions.values()]
    this.sessions.clear()
    for (const session of await Promise.allSettled(pending)) {
      if (session.status === 'fulfilled') session.value.dispose()
    }
  }

  private cudaStatus(): Promise<CudaStatus> {
    this.cuda ??= this.probes.probe().then((probe) => decideCuda(this.setting, probe))
    return this.cuda
  }

  private async create(graph: string, file: string): Promise<OrtGraphSession> {
    // onnxruntime's message for a missing file is "Load model from … failed:…"; say it plainly.
    if (!existsSync(file)) throw new Error(`${graph}: model file not found: ${file}`)
    const cuda = await this.cudaStatus()
    // `cuda` forces an attempt even when the probes see no CUDA: probes can be wrong (odd driver
    // layouts), and the library's error is then the most useful thing to show. Once a CUDA session
    // has failed to load, the other graphs do not try again.
    const failedBefore = cuda.state === 'unavailable' && cuda.kind === 'load-failed'
    const tryCuda = !failedBefore && (this.setting === 'cuda' || (this.setting === 'auto' && cuda.state === 'available'))
    if (tryCuda) {
      try {
        return await OrtGraphSession.create(graph, file, 'cuda', this.threads, this.spinning)
      } catch (error) {
        const missing = (await this.probes.missingLibraries?.().catch(() => [])) ?? []
        this.cuda = Promise.resolve(combineFailure(cuda, cudaLoadFailed(error, missing)))
      }
    }
    return OrtGraphSession.create(graph, file, 'cpu', this.threads, this.spinning)
  }
}

/** A GraphSession on onnxruntime-node. */
export class OrtGraphSession implements GraphSession {
  readonly inputs: readonly TensorSpec[]
  readonly outputs: readonly TensorSpec[]
  private disposed = false

  private constructor(
    readonly graph: string,
    readonly file: string,
    readonly device: Device,
    readonly providers: readonly ProviderName[],
    private readonly session: InferenceSession
  ) {
    this.inputs = session.inputMetadata.map(toSpec)
    this.outputs = session.outputMetadata.map(toSpec)
  }

  /** Loads a graph on a device's providers. */
  static async create(graph: string, file: string, device: Device, threads: number, spinning = false): Promise<OrtGraphSession> {
    const providers = providersFor(device)
    const session = await InferenceSession.create(file, {
      executionProviders: [...providers],
      intraOpNumThreads: threads,
      // One graph runs at a time per host; parallel branches would only compete for the same cores.
      interOpNumThreads: 1,
      executionMode: 'sequential',
      graphOptimizationLevel: 'all',
      extra: { session: { intra_op: { allow_spinning: spinning ? '1' : '0' } } }
    })
    return new OrtGraphSession(graph, file, device, providers, session)
  }

  async run(feeds: TensorMap, options: RunOptions = {}): Promise<TensorMap> {
    if (this.disposed) throw new Error(`${this.graph}: the session has been disposed`)
    checkFeeds(this.graph, this.inputs, feeds)
    if (options.fetches !== undefined) checkFetches(this.graph, this.outputs, options.fetches)
    throwIfAborted(options.signal)
    const results = options.fetches === undefined ? await this.session.run(feeds) : await this.session.run(feeds, [...options.fetches])
    throwIfAborted(options.signal)
    return results
  }

  dispose(): void {
    if (this.disposed) return
    this.disposed = true
    void this.session.release()
  }
}

// When the probes had already seen why CUDA could not work, their reason and fix come first.
function combineFailure(probed: CudaStatus, failed: CudaStatus): CudaStatus {
  if (probed.state !== 'unavailable' || failed.state !== 'unavailable' || probed.kind === 'disabled') return failed
  return { ...failed, reason: `${probed.reason} ${failed.reason}`, fix: probed.fix ?? failed.fix ?? GPU_SETUP_COMMAND }
}

function toSpec(metadata: InferenceSession.ValueMetadata): TensorSpec {
  return metadata.isTensor
    ? { name: metadata.name, type: metadata.type, shape: metadata.shape }
    : { name: metadata.name, type: undefined, shape: undefined }
}
