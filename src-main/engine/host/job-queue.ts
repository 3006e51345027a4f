/**
 * The engine host's scheduler. The engine does one thing at a time (onnxruntime already spreads a
 * run over the cores), so work waits in a queue ordered by priority, then by arrival. Batch work
 * comes as one job per image, so a box prompt that arrives during an auto-annotate run waits for
 * at most the image in progress, then overtakes everything queued behind it.
 */
import { CancellationError } from '../../common/errors'
import type { Disposable } from '../../common/lifecycle'

/** How urgent a job is: prompts, then the image the user just opened, then prefetch and batch work. */
export type Priority = 'interactive' | 'foreground' | 'batch'

/** Priorities from most to least urgent. */
export const PRIORITIES: readonly Priority[] = ['interactive', 'foreground', 'batch']

/** Progress a job reports. */
export interface JobProgress {
  readonly done: number
  readonly total?: number
  readonly message?: string
}

/** What a running job receives: a signal that aborts when it is cancelled, and a progress callback. */
export interface JobContext {
  readonly signal: AbortSignal
  progress(progress: JobProgress): void
}

/** Options of one job. */
export interface EnqueueOptions {
  /** A name for logs and state listings. */
  readonly label?: string
  /** Receives the job's progress reports. */
  readonly onProgress?: (progress: JobProgress) => void
  /** Cancels the job when aborted. */
  readonly signal?: AbortSignal
}

/** A queued or running job. */
export interface JobHandle<T> {
  readonly id: number
  /** Settles with the job's result; rejects with CancellationError when it is cancelled. */
  readonly result: Promise<T>
  /** Removes the job if it has not started; aborts its signal if it has. */
  cancel(): void
}

/** How many jobs wait and run, for status displays. */
export interface QueueState {
  readonly running: readonly { readonly id: number; readonly priority: Priority; readonly label: string }[]
  readonly queued: Readonly<Record<Priority, number>>
}

interface Entry {
  readonly id: number
  readonly priority: Priority
  readonly label: string
  readonly run: (context: JobContext) => Promise<unknown>
  readonly controller: AbortController
  readonly onProgress: ((progress: JobProgress) => void) | undefined
  resolve(value: unknown): void
  reject(error: unknown): void
  settled: boolean
}

/** A priority queue that runs at most `concurrency` jobs at once. */
export class JobQueue implements Disposable {
  private readonly waiting: Record<Priority, Entry[]> = { interactive: [], foreground: [], batch: [] }
  private readonly running = new Set<Entry>()
  private nextId = 1
  private disposed = false

  constructor(readonly concurrency = 1) {
    if (!Number.isInteger(concurrency) || concurrency < 1) throw new RangeError(`concurrency: expected a positive integer, got ${concurrency}`)
  }

  /** Queues work at a priority; it starts when no more urgent or older job is waiting. */
  enqueue<T>(priority: Priority, run: (context: JobContext) => Promise<T>, options: EnqueueOptions = {}): JobHandle<T> {
    if (!PRIORITIES.includes(priority)) throw new RangeError(`priority: expected one of ${PRIORITIES.join(', ')}, got ${JSON.stringify(priority)}`)
    if (typeof run !== 'function') throw new TypeError('run: expected a function')
    const id = this.nextId++
    let resolve!: (value: unknown) => void
    let reject!: (error: unknown) => void
    const result = new Promise<T>((res, rej) => {
      resolve = res as (value: unknown) => void
      reject = rej
    })
    const entry: Entry = {
      id,
      priority,
      label: options.label ?? `job ${id}`,
      run,
      controller: new AbortController(),
      onProgress: options.onProgress,
      resolve,
      reject,
      settled: false
    }
    const cancel = (): void => this.cancel(entry)
    if (this.disposed) {
      settle(entry, () => entry.reject(new CancellationError('The engine is shutting down')))
    } else if (options.signal?.aborted) {
      settle(entry, () => entry.reject(new CancellationError()))
    } else {
      options.signal?.addEventListener('abort', cancel, { once: true })
      this.waiting[priority].push(entry)
      this.pump()
    }
    return { id, result, cancel }
  }

  /** Jobs running and waiting. */
  state(): QueueState {
    return {
      running: [...this.running].map((e) => ({ id: e.id, priority: e.priority, label: e.label })),
      queued: { interactive: this.waiting.interactive.length, foreground: this.waiting.foreground.length, batch: this.waiting.batch.length }
    }
  }

  /** Resolves when nothing runs or waits. */
  async idle(): Promise<void> {
    while (this.running.size > 0 || PRIORITIES.some((p) => this.waiting[p].length > 0)) {
      await new Promise((resolve) => setTimeout(resolve, 5))
    }
  }

  /** Cancels every job, queued or running. */
  dispose(): void {
    this.disposed = true
    for (const priority of PRIORITIES) for (const entry of this.waiting[priority].splice(0)) this.cancel(entry)
    for (const entry of this.running) this.cancel(entry)
  }

  private cancel(entry: Entry): void {
    const list = this.waiting[entry.priority]
    const index = list.indexOf(entry)
    if (index >= 0) list.splice(index, 1)
    entry.controller.abort(new CancellationError())
    // The caller hears at once; a running job keeps its slot until its work actually stops.
    settle(entry, () => entry.reject(new CancellationError()))
  }

  private pump(): void {
    while (this.running.size < this.concurrency) {
      const entry = this.next()
      if (entry === undefined) return
      this.running.add(entry)
      const context: JobContext = {
        signal: entry.controller.signal,
        progress: (progress) => {
          if (!entry.settled) entry.onProgress?.(progress)
        }
      }
      void Promise.resolve()
        .then(() => entry.run(context))
        .then(
          (value) => settle(entry, () => (entry.controller.signal.aborted ? entry.reject(new CancellationError()) : entry.resolve(value))),
          (error: unknown) => settle(entry, () => entry.reject(error))
        )
        .finally(() => {
          this.running.delete(entry)
          this.pump()
        })
    }
  }

  private next(): Entry | undefined {
    for (const priority of PRIORITIES) {
      const entry = this.waiting[priority].shift()
      if (entry !== undefined) return entry
    }
    return undefined
  }
}

function settle(entry: Entry, action: () => void): void {
  if (entry.settled) return
  entry.settled = true
  action()
}
