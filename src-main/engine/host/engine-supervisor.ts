/**
 * Main's side of the engine: starts the host process, sends it typed requests, and keeps it alive.
 * When the host dies unexpectedly (a native crash in onnxruntime, an out-of-memory kill, `kill -9`)
 * the supervisor reports it, fails the requests that were in flight with a clear error — or sends
 * them again to the new host when they are idempotent, once — and restarts the host with an
 * exponential back-off. Too many crashes in a short time stop the restarts until `restart()`.
 */
import { CancellationError, ExpectedError, throwIfAborted } from '../../common/errors'
import { Emitter, type Event } from '../../common/event'
import type { Disposable } from '../../common/lifecycle'
import type { HostExit, HostLauncher, HostProcess } from './host-process'
import type { JobProgress } from './job-queue'
import {
  deserializeEngineError,
  IDEMPOTENT_METHODS,
  PROTOCOL_VERSION,
  type EngineMethod,
  type FromHost,
  type ParamsOf,
  type ResultOf
} from './protocol'

/** The supervisor's state. */
export type SupervisorState = 'stopped' | 'starting' | 'ready' | 'restarting' | 'failed' | 'disposed'

/** The engine host stopped while a request was in flight. */
export class EngineCrashedError extends ExpectedError {
  override readonly name = 'EngineCrashedError'
  constructor(method: string, exit: HostExit, restarting: boolean) {
    super(
      'ENGINE_CRASHED',
      `The engine process stopped unexpectedly (${describeExit(exit)}) while running ${method}; ` +
        (restarting ? 'it is being restarted, try again in a moment.' : 'it crashed repeatedly and was not restarted.')
    )
  }
}

/** The engine cannot take requests (it keeps crashing, or has been shut down). */
export class EngineUnavailableError extends ExpectedError {
  override readonly name = 'EngineUnavailableError'
  constructor(message: string) {
    super('ENGINE_UNAVAILABLE', message)
  }
}

/** Options of a supervisor. */
export interface EngineSupervisorOptions {
  readonly launcher: HostLauncher
  /** Longest wait for a new host's `ready`; 60 s by default (loading onnxruntime can be slow on a busy machine). */
  readonly readyTimeoutMs?: number
  /** First restart delay, doubled after each crash up to `maxBackoffMs`; 250 ms and 30 s by default. */
  readonly initialBackoffMs?: number
  readonly maxBackoffMs?: number
  /** More crashes than this within `crashWindowMs` stop the restarts; 5 in 60 s by default. */
  readonly maxCrashes?: number
  readonly crashWindowMs?: number
  /** Longest wait for a graceful shutdown before the host is killed; 3 s by default. */
  readonly shutdownTimeoutMs?: number
}

/** Options of one call. */
export interface CallOptions {
  /** Cancels the request (in the host too). */
  readonly signal?: AbortSignal
  /** Receives the host's progress reports. */
  readonly onProgress?: (progress: JobProgress) => void
}

/** Fired when a host process has started and answered `ready`. */
export interface HostStartEvent {
  readonly pid: number
  /** How many times the host has been restarted after a crash. */
  readonly restarts: number
}

/** Fired when a host process has ended, for whatever reason. */
export interface HostExitEvent extends HostExit {
  readonly pid: number | undefined
  /** True when main asked for it (dispose, restart). */
  readonly expected: boolean
}

/** Fired when a host process ended without being asked to. */
export interface HostCrashEvent extends HostExit {
  readonly pid: number | undefined
  /** Crashes within the crash window, this one included. */
  readonly crashes: number
  /** Requests failed because of it, and requests that will be sent again. */
  readonly failed: number
  readonly retried: number
  /** When the next start is due; null when the supervisor gave up. */
  readonly restartInMs: number | null
}

interface Pending {
  readonly id: number
  readonly method: EngineMethod
  readonly params: unknown
  readonly onProgress: ((progress: JobProgress) => void) | undefined
  resolve(value: unknown): void
  reject(error: unknown): void
  /** The host process the request was sent to; undefined while it waits for one. */
  sentTo: HostProcess | undefined
  retries: number
  cleanup(): void
}

/** Supervises the engine host process and carries calls to it. */
export class EngineSupervisor implements Disposable {
  private readonly options: Required<Omit<EngineSupervisorOptions, 'launcher'>> & { launcher: HostLauncher }
  private process: HostProcess | undefined
  private stateValue: SupervisorState = 'stopped'
  private readonly pending = new Map<number, Pending>()
  private nextId = 1
  private crashTimes: number[] = []
  private restarts = 0
  private restartTimer: NodeJS.Timeout | undefined
  private starting: Promise<void> | undefined
  private readonly expectedExits = new WeakSet<HostProcess>()

  private readonly onDidStartEmitter = new Emitter<HostStartEvent>()
  private readonly onDidExitEmitter = new Emitter<HostExitEvent>()
  private readonly onDidCrashEmitter = new Emitter<HostCrashEvent>()
  private readonly onDidChangeStateEmitter = new Emitter<SupervisorState>()
  /** A host has started and is ready. */
  readonly onDidStart: Event<HostStartEvent> = this.onDidStartEmitter.event
  /** A host has ended (expected or not). */
  readonly onDidExit: Event<HostExitEvent> = this.onDidExitEmitter.event
  /** A host has ended unexpectedly. */
  readonly onDidCrash: Event<HostCrashEvent> = this.onDidCrashEmitter.event
  /** The state changed. */
  readonly onDidChangeState: Event<SupervisorState> = this.onDidChangeStateEmitter.event

  constructor(options: EngineSupervisorOptions) {
    if (typeof options?.launcher !== 'function') throw new TypeError('options.launcher: expected a function that starts a host process')
    this.options = {
      launcher: options.launcher,
      readyTimeoutMs: options.readyTimeoutMs ?? 60_000,
      initialBackoffMs: options.initialBackoffMs ?? 250,
      maxBackoffMs: options.maxBackoffMs ?? 30_000,
      maxCrashes: options.maxCrashes ?? 5,
      crashWindowMs: options.crashWindowMs ?? 60_000,
      shutdownTimeoutMs: options.shutdownTimeoutMs ?? 3_000
    }
  }

  /** The current state. */
  get state(): SupervisorState {
    return this.stateValue
  }

  /** The running host's process id. */
  get pid(): number | undefined {
    return this.stateValue === 'ready' ? this.process?.pid : undefined
  }

  /** Starts the host if it is not running; resolves when it is ready. */
  start(): Promise<void> {
    if (this.stateValue === 'disposed') return Promise.reject(new EngineUnavailableError('The engine has been shut down'))
    if (this.stateValue === 'ready') return Promise.resolve()
    this.starting ??= this.launch().finally(() => (this.starting = undefined))
    return this.starting
  }

  /** Stops the host (gracefully, then by force) and starts a new one; clears the crash count. */
  async restart(): Promise<void> {
    if (this.stateValue === 'disposed') throw new EngineUnavailableError('The engine has been shut down')
    clearTimeout(this.restartTimer)
    this.crashTimes = []
    await this.stop()
    await this.start()
  }

  /**
   * Calls a method in the host. Waits for the host when it is starting or restarting; fails with
   * EngineCrashedError when the host dies during a non-idempotent call, EngineUnavailableError when
   * it cannot be started, CancellationError when the signal aborts, and the host's own error otherwise.
   */
  call<M extends EngineMethod>(method: M, params: ParamsOf<M>, options: CallOptions = {}): Promise<ResultOf<M>> {
    if (typeof method !== 'string') return Promise.reject(new TypeError(`method: expected an engine method name, got ${typeof method}`))
    try {
      throwIfAborted(options.signal)
    } catch (error) {
      return Promise.reject(error)
    }
    if (this.stateValue === 'disposed') return Promise.reject(new EngineUnavailableError('The engine has been shut down'))
    if (this.stateValue === 'failed') {
      return Promise.reject(new EngineUnavailableError('The engine process keeps crashing and is stopped; restart it from the engine status'))
    }
    return new Promise<ResultOf<M>>((resolve, reject) => {
      const id = this.nextId++
      const onAbort = (): void => {
        const entry = this.pending.get(id)
        if (entry === undefined) return
        this.pending.delete(id)
        entry.sentTo?.send({ type: 'cancel', id })
        entry.cleanup()
        reject(new CancellationError())
      }
      options.signal?.addEventListener('abort', onAbort, { once: true })
      const entry: Pending = {
        id,
        method,
        params,
        onProgress: options.onProgress,
        resolve: resolve as (value: unknown) => void,
        reject,
        sentTo: undefined,
        retries: 0,
        cleanup: () => options.signal?.removeEventListener('abort', onAbort)
      }
      this.pending.set(id, entry)
      if (this.stateValue === 'ready') this.send(entry)
      else if (this.stateValue === 'stopped') this.start().catch(() => {})
      // 'starting'/'restarting': flushed when the host is ready.
    })
  }

  /** Shuts the host down (graceful, then killed after the timeout) and fails what is pending. */
  async dispose(): Promise<void> {
    if (this.stateValue === 'disposed') return
    clearTimeout(this.restartTimer)
    await this.stop()
    this.setState('disposed')
    this.failAll(() => new EngineUnavailableError('The engine has been shut down'))
    this.onDidStartEmitter.dispose()
    this.onDidExitEmitter.dispose()
    this.onDidCrashEmitter.dispose()
    this.onDidChangeStateEmitter.dispose()
  }

  private async launch(): Promise<void> {
    this.setState(this.restarts > 0 || this.crashTimes.length > 0 ? 'restarting' : 'starting')
    const child = this.options.launcher()
    this.process = child
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        ready.dispose()
        console.error(`[engine] host did not become ready within ${this.options.readyTimeoutMs} ms; killing it`)
        child.kill()
        reject(new EngineUnavailableError(`The engine process did not start within ${this.options.readyTimeoutMs / 1000} s`))
      }, this.options.readyTimeoutMs)
      const ready = child.onMessage((message) => {
        if (message.type !== 'ready') return
        clearTimeout(timer)
        ready.dispose()
        if (message.protocol !== PROTOCOL_VERSION) {
          this.expectedExits.add(child)
          child.kill()
          this.setState('failed')
          const error = (): Error => new EngineUnavailableError(`The engine host speaks protocol ${message.protocol}, main speaks ${PROTOCOL_VERSION}`)
          this.failAll(error)
          reject(error())
          return
        }
        resolve()
      })
      child.onExit((exit) => {
        clearTimeout(timer)
        ready.dispose()
        reject(new EngineUnavailableError(`The engine process exited before it was ready (${describeExit(exit)})`))
        this.exited(child, exit)
      })
      child.onMessage((message) => this.receive(child, message))
    })
    this.setState('ready')
    this.onDidStartEmitter.fire({ pid: child.pid ?? -1, restarts: this.restarts })
    for (const entry of this.pending.values()) if (entry.sentTo === undefined) this.send(entry)
  }

  private send(entry: Pending): void {
    const child = this.process
    if (child === undefined) return
    entry.sentTo = child
    child.send({ type: 'request', id: entry.id, method: entry.method, params: entry.params })
  }

  private receive(child: HostProcess, message: FromHost): void {
    if (message.type === 'ready') return
    const entry = this.pending.get(message.id)
    // A late answer from a previous host, or to a cancelled request.
    if (entry === undefined || entry.sentTo !== child) return
    if (message.type === 'progress') {
      entry.onProgress?.(message.progress)
      return
    }
    this.pending.delete(message.id)
    entry.cleanup()
    if (message.ok) entry.resolve(message.result)
    else entry.reject(deserializeEngineError(message.error))
  }

  private exited(child: HostProcess, exit: HostExit): void {
    const expected = this.expectedExits.has(child)
    if (this.process === child) this.process = undefined
    this.onDidExitEmitter.fire({ ...exit, pid: child.pid, expected })
    if (expected || this.stateValue === 'disposed') return

    const now = Date.now()
    this.crashTimes = [...this.crashTimes.filter((t) => now - t < this.options.crashWindowMs), now]
    const crashes = this.crashTimes.length
    const giveUp = crashes > this.options.maxCrashes
    const restartInMs = giveUp ? null : Math.min(this.options.maxBackoffMs, this.options.initialBackoffMs * 2 ** (crashes - 1))
    let failed = 0
    let retried = 0
    for (const entry of [...this.pending.values()]) {
      if (entry.sentTo !== child) continue
      if (!giveUp && IDEMPOTENT_METHODS.has(entry.method) && entry.retries < 1) {
        entry.retries++
        entry.sentTo = undefined
        retried++
        continue
      }
      this.pending.delete(entry.id)
      entry.cleanup()
      entry.reject(new EngineCrashedError(entry.method, exit, !giveUp))
      failed++
    }
    this.onDidCrashEmitter.fire({ ...exit, pid: child.pid, crashes, failed, retried, restartInMs })
    if (giveUp) {
      console.error(`[engine] host crashed ${crashes} time(s) within ${this.options.crashWindowMs / 1000} s; not restarting it`)
      this.setState('failed')
      this.failAll(() => new EngineUnavailableError('The engine process keeps crashing and is stopped; restart it from the engine status'))
      return
    }
    console.error(`[engine] host ${child.pid} ended unexpectedly (${describeExit(exit)}); restarting in ${restartInMs} ms`)
    this.setState('restarting')
    this.restartTimer = setTimeout(() => {
      this.restarts++
      this.start().catch((error: unknown) => console.error('[engine] restart failed:', (error as Error).message))
    }, restartInMs!)
  }

  private async stop(): Promise<void> {
    const child = this.process
    if (child === undefined) return
    this.expectedExits.add(child)
    const exited = new Promise<void>((resolve) => child.onExit(() => resolve()))
    child.send({ type: 'shutdown' })
    const timer = setTimeout(() => child.kill(), this.options.shutdownTimeoutMs)
    await exited
    clearTimeout(timer)
    this.setState('stopped')
  }

  private failAll(error: () => Error): void {
    for (const entry of [...this.pending.values()]) {
      this.pending.delete(entry.id)
      entry.cleanup()
      entry.reject(error())
    }
  }

  private setState(state: SupervisorState): void {
    if (this.stateValue === state) return
    this.stateValue = state
    this.onDidChangeStateEmitter.fire(state)
  }
}

function describeExit(exit: HostExit): string {
  if (exit.signal !== null) return `killed by ${exit.signal}`
  if (exit.code !== null) return `exit code ${exit.code}`
  return 'no exit status'
}
