import type { JobInfoValue, JobProgressValue } from '../../src-preload/contract'
import { CancellationError, isCancellation, serializeError } from '../common/errors'
import { Emitter } from '../common/event'
import type { Disposable } from '../common/lifecycle'
import type { ProjectStore } from '../store/project-store'

/** Progress as a job reports it; the manager adds the job's id and kind. */
export type ProgressUpdate = Omit<JobProgressValue, 'jobId' | 'kind'>

/** What a running job receives: its cancellation signal and a progress callback. */
export interface JobContext {
  readonly jobId: number
  readonly signal: AbortSignal
  progress(update: ProgressUpdate): void
}

/** The work of one job; what it resolves to is stored as the job's result. */
export type JobWork = (context: JobContext) => Promise<unknown>

// Progress is broadcast as it comes (the UI throttles drawing) but written to the database at most this often.
const PERSIST_INTERVAL_MS = 1000

/**
 * Runs background jobs (import, export, auto-annotate …), records their state in the project store, and
 * reports progress and completion as events. Cancelling aborts the job's signal; a job that throws a
 * CancellationError ends as `cancelled`, any other error as `failed`.
 */
export class JobManager implements Disposable {
  private readonly running = new Map<number, { controller: AbortController; done: Promise<void> }>()
  private readonly onDidProgressEmitter = new Emitter<JobProgressValue>()
  private readonly onDidFinishEmitter = new Emitter<JobInfoValue>()

  /** Fires on every progress report of any job. */
  readonly onDidProgress = this.onDidProgressEmitter.event
  /** Fires once when a job ends, in whatever state. */
  readonly onDidFinish = this.onDidFinishEmitter.event

  constructor(private readonly store: ProjectStore) {
    const interrupted = store.markInterruptedJobs()
    if (interrupted.length > 0) console.warn(`[jobs] marked ${interrupted.length} job(s) interrupted by the last shutdown`)
  }

  /** Starts a job now and returns its id; the work runs in the background. */
  start(kind: string, params: unknown, work: JobWork): number {
    const jobId = this.store.createJob(kind, params)
    const controller = new AbortController()
    let lastPersist = 0
    let latest: JobProgressValue | undefined
    const context: JobContext = {
      jobId,
      signal: controller.signal,
      progress: (update) => {
        const progress: JobProgressValue = { jobId, kind, ...update }
        latest = progress
        const t = Date.now()
        if (t - lastPersist >= PERSIST_INTERVAL_MS) {
          lastPersist = t
          this.store.updateJob(jobId, { progress })
        }
        this.onDidProgressEmitter.fire(progress)
      }
    }
    this.store.updateJob(jobId, { state: 'running' })
    const done = this.run(jobId, work, context, () => latest).finally(() => this.running.delete(jobId))
    this.running.set(jobId, { controller, done })
    return jobId
  }

  private async run(
    jobId: number,
    work: JobWork,
    context: JobContext,
    latestProgress: () => JobProgressValue | undefined
  ): Promise<void> {
    let info: JobInfoValue
    try {
      const result = await work(context)
      if (context.signal.aborted) throw new CancellationError()
      info = this.store.updateJob(jobId, { state: 'succeeded', result: result ?? null, progress: latestProgress() })
    } catch (error) {
      const cancelled = isCancellation(error)
      if (!cancelled) console.error(`[jobs] job ${jobId} failed`, error)
      const state = cancelled ? 'cancelled' : 'failed'
      info = this.store.updateJob(jobId, { state, error: serializeError(error), progress: latestProgress() })
    }
    this.onDidFinishEmitter.fire(info)
  }

  /** Asks a running job to stop; false when it is not running. */
  cancel(jobId: number): boolean {
    const job = this.running.get(jobId)
    if (!job) return false
    job.controller.abort()
    return true
  }

  /** Resolves when the job has ended (immediately when it is not running). */
  async whenDone(jobId: number): Promise<JobInfoValue> {
    await this.running.get(jobId)?.done
    return this.store.getJob(jobId)
  }

  /** Cancels every running job and waits for them to stop. */
  async shutdown(): Promise<void> {
    const jobs = [...this.running.values()]
    for (const job of jobs) job.controller.abort()
    await Promise.allSettled(jobs.map((j) => j.done))
  }

  dispose(): void {
    for (const job of this.running.values()) job.controller.abort()
    this.onDidProgressEmitter.dispose()
    this.onDidFinishEmitter.dispose()
  }
}
