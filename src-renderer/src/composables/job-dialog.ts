/**
 * What every job dialog (image import, annotation import, export) shares: the job it shows, that job's
 * progress, report and phase, starting and cancelling it with errors reported, and Esc to close.
 */
import { computed, ref } from 'vue'
import type { JobInfoValue } from '../../../src-preload/contract'
import { useJobsStore } from '../stores/jobs'
import { useNotificationsStore } from '../stores/notifications'
import { useViewStore } from '../stores/view'

/** A job dialog's state; `label` names the work in error notices ("Starting the export"). */
export function useJobDialog<R>(label: string, initialJobId: number | null, reportOf: (info: JobInfoValue) => R | null) {
  const jobs = useJobsStore()
  const view = useViewStore()
  const notifications = useNotificationsStore()
  const starting = ref(false)
  const cancelling = ref(false)
  const jobId = ref<number | null>(initialJobId)

  const progress = computed(() => (jobId.value === null ? null : (jobs.progress.get(jobId.value) ?? null)))
  const finished = computed(() => (jobId.value === null ? null : (jobs.finished.get(jobId.value) ?? null)))
  const report = computed(() => (finished.value ? reportOf(finished.value) : null))
  const phase = computed(() => (jobId.value === null ? 'choose' : finished.value ? 'done' : 'running'))
  const percent = computed(() => {
    const p = progress.value
    return p && p.total ? Math.min(100, (p.done / p.total) * 100) : null
  })

  /** Starts the job `run` starts (once at a time); a failure to start becomes a notice. */
  async function launch(run: () => Promise<number>): Promise<void> {
    if (starting.value) return
    starting.value = true
    try {
      jobId.value = await run()
    } catch (error) {
      notifications.reportError(`Starting the ${label}`, error)
    } finally {
      starting.value = false
    }
  }

  /** Asks the running job to stop; the dialog shows its report when it has. */
  async function cancel(): Promise<void> {
    if (jobId.value === null) return
    cancelling.value = true
    try {
      await jobs.cancel(jobId.value)
    } catch (error) {
      notifications.reportError(`Cancelling the ${label}`, error)
    }
  }

  /** Back to the form, for another run. */
  function reset(): void {
    jobId.value = null
    cancelling.value = false
  }

  /** Esc closes the dialog. */
  function onKey(e: KeyboardEvent): void {
    if (e.key === 'Escape') {
      e.preventDefault()
      view.closeOverlay()
    }
  }

  return { jobId, starting, cancelling, progress, finished, report, phase, percent, launch, cancel, reset, onKey }
}
