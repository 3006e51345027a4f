import { defineStore } from 'pinia'
import { computed, shallowReactive } from 'vue'
import type { ImportReportValue, JobInfoValue, JobProgressValue } from '../../../src-preload/contract'
import { useSessionStore } from './session'

/** A job's result read as an import report, when it has that shape (results cross as `unknown`). */
export function importReportOf(info: JobInfoValue): ImportReportValue | null {
  const r = info.result as Partial<ImportReportValue> | null
  if (!r || typeof r.imported !== 'number' || !Array.isArray(r.failed) || !Array.isArray(r.skippedDuplicates)) return null
  return { imported: r.imported, failed: r.failed, skippedDuplicates: r.skippedDuplicates, elapsedSeconds: r.elapsedSeconds ?? 0 }
}

/**
 * How often progress reaches the screen. Main reports every file (10,000 events for 10,000 images);
 * drawing each one would keep the page busy rendering, so the latest report per job wins each window.
 */
export const PROGRESS_INTERVAL_MS = 100

/** Background jobs: live progress of running ones, and how finished ones ended. */
export const useJobsStore = defineStore('jobs', () => {
  const session = useSessionStore()
  const progress = shallowReactive(new Map<number, JobProgressValue>())
  const finished = shallowReactive(new Map<number, JobInfoValue>())
  const latest = new Map<number, JobProgressValue>()
  let flushTimer: ReturnType<typeof setTimeout> | null = null

  function flush(): void {
    flushTimer = null
    for (const [jobId, p] of latest) if (!finished.has(jobId)) progress.set(jobId, p)
    latest.clear()
  }

  /** Jobs still running, oldest first. */
  const running = computed(() => [...progress.values()].sort((a, b) => a.jobId - b.jobId))

  /** Adopts a progress event (shown within PROGRESS_INTERVAL_MS); late events of a finished job are ignored. */
  function onProgress(p: JobProgressValue): void {
    if (finished.has(p.jobId)) return
    latest.set(p.jobId, p)
    flushTimer ??= setTimeout(flush, PROGRESS_INTERVAL_MS)
  }

  /** Adopts a job's end. */
  function onDone(info: JobInfoValue): void {
    latest.delete(info.id)
    progress.delete(info.id)
    finished.set(info.id, info)
  }

  /** Picks up jobs that were already running (after a reload or reconnect). */
  async function load(): Promise<void> {
    const jobs = await session.requireApi().invoke('jobs:list', {})
    for (const job of jobs) {
      if (job.state === 'queued' || job.state === 'running') {
        progress.set(job.id, job.progress ?? blankProgress(job.id, job.kind))
      } else if (progress.has(job.id)) {
        onDone(job)
      }
    }
  }

  /** Starts importing files or folders (server-side paths); returns the job id. */
  async function startImport(paths: readonly string[], recursive: boolean): Promise<number> {
    const { jobId } = await session.requireApi().invoke('images:import', { paths: [...paths], recursive })
    if (!finished.has(jobId) && !progress.has(jobId)) progress.set(jobId, blankProgress(jobId, 'import'))
    return jobId
  }

  /** Asks main to cancel a job; its end still arrives as `job:done`. */
  async function cancel(jobId: number): Promise<boolean> {
    const { cancelled } = await session.requireApi().invoke('jobs:cancel', { jobId })
    return cancelled
  }

  return { progress, finished, running, onProgress, onDone, load, startImport, cancel }
})

function blankProgress(jobId: number, kind: string): JobProgressValue {
  return { jobId, kind, done: 0, total: null, ratePerSecond: null, etaSeconds: null, message: null }
}
