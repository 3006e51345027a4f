import { onScopeDispose, watch } from 'vue'
import type { JobInfoValue } from '../../../src-preload/contract'
import type { RoseApi } from '../api'
import { JOB_KINDS, annotationImportReportOf, autoAnnotateReportOf, exportReportOf, importReportOf, useJobsStore } from '../stores/jobs'
import { useCategoriesStore } from '../stores/categories'
import { useEngineStore } from '../stores/engine'
import { useHistoryStore } from '../stores/history'
import { useImagesStore } from '../stores/images'
import { useInstancesStore } from '../stores/instances'
import { useNotificationsStore } from '../stores/notifications'
import { usePacksStore } from '../stores/packs'
import { useSessionStore } from '../stores/session'
import { useWorkbenchStore } from '../stores/workbench'
import { plural } from '../components/format'

// Bursts of change events (an import, a run of edits) become one reload per this many milliseconds.
const COALESCE_MS = 150
// While an import runs, the list grows this often (main announces the new images only at the end).
const IMPORT_LIST_REFRESH_MS = 1500

/** Runs `work` at most once per window, after the last call in it; never two runs at once. */
export function coalesce(work: () => Promise<void>, ms = COALESCE_MS): { (): void; cancel(): void } {
  let timer: ReturnType<typeof setTimeout> | null = null
  let running: Promise<void> | null = null
  let again = false
  const run = (): void => {
    timer = null
    if (running) {
      again = true
      return
    }
    running = work()
      .catch((error) => console.error('[events] reload failed', error))
      .finally(() => {
        running = null
        if (again) {
          again = false
          schedule()
        }
      })
  }
  const schedule = (): void => {
    if (!timer) timer = setTimeout(run, ms)
  }
  schedule.cancel = () => {
    if (timer) clearTimeout(timer)
    timer = null
  }
  return schedule
}

/** What a job of each kind is called in notices (`Auto-annotation failed: …`). */
export function jobTitle(kind: string): string {
  switch (kind) {
    case JOB_KINDS.import:
      return 'Import'
    case JOB_KINDS.export:
      return 'Export'
    case JOB_KINDS.annotationsImport:
      return 'Annotation import'
    case JOB_KINDS.autoAnnotate:
      return 'Auto-annotation'
    default:
      return kind
  }
}


/**
 * The one-line notice for a job that succeeded (or an auto-annotation the user cancelled), or null when
 * the kind has none (failures are reported apart).
 */
export function jobDoneMessage(info: JobInfoValue): string | null {
  if (info.kind === JOB_KINDS.autoAnnotate && info.state === 'cancelled') {
    const p = info.progress
    return p ? `Auto-annotation cancelled after ${p.done.toLocaleString()}${p.total !== null ? ` of ${p.total.toLocaleString()}` : ''} images` : 'Auto-annotation cancelled'
  }
  if (info.state !== 'succeeded') return null
  switch (info.kind) {
    case JOB_KINDS.import: {
      const report = importReportOf(info)
      if (!report) return null
      const problems = report.failed.length > 0 ? `, ${report.failed.length} failed` : ''
      return `Import finished: ${report.imported} imported${problems}`
    }
    case JOB_KINDS.export: {
      const report = exportReportOf(info)
      if (!report) return null
      return `Export finished: ${report.instances} ${report.instances === 1 ? 'instance' : 'instances'} on ${report.images} ${report.images === 1 ? 'image' : 'images'}`
    }
    case JOB_KINDS.annotationsImport: {
      const report = annotationImportReportOf(info)
      if (!report) return null
      const problems = report.problemCount > 0 ? `, ${report.problemCount} ${report.problemCount === 1 ? 'problem' : 'problems'}` : ''
      return `${report.dryRun ? 'Annotation check' : 'Annotation import'} finished: ${report.instancesImported} ${report.dryRun ? 'would be imported' : 'imported'}${problems}`
    }
    case JOB_KINDS.autoAnnotate: {
      const report = autoAnnotateReportOf(info)
      if (!report) return null
      const parts = [`${plural(report.instances, 'proposal')} on ${plural(report.annotated, 'image')}`]
      if (report.alreadyDone > 0) parts.push(`${plural(report.alreadyDone, 'image')} already annotated by ${report.pack}`)
      if (report.failed.length > 0) parts.push(`${report.failed.length} failed (${report.failed[0]!.item}: ${report.failed[0]!.reason})`)
      return `Auto-annotation finished: ${parts.join(', ')}`
    }
    default:
      return null
  }
}

/** Routes main's events into the stores, and reloads the screen whenever the link (re)opens. */
export function useRoseEvents(api: RoseApi): void {
  const session = useSessionStore()
  const images = useImagesStore()
  const instances = useInstancesStore()
  const categories = useCategoriesStore()
  const history = useHistoryStore()
  const jobs = useJobsStore()
  const notifications = useNotificationsStore()
  const workbench = useWorkbenchStore()
  const engine = useEngineStore()
  const packs = usePacksStore()

  async function refreshImages(): Promise<void> {
    await images.refresh()
    if (images.currentId === null && (images.total ?? 0) > 0) await workbench.openIndex(0)
  }
  const reloadImages = coalesce(refreshImages)
  const reloadImagesWhileImporting = coalesce(refreshImages, IMPORT_LIST_REFRESH_MS)
  const reloadInstances = coalesce(async () => {
    await Promise.all([instances.reload(), categories.load()])
  })

  const offs = [
    api.on('job:progress', (p) => {
      jobs.onProgress(p)
      if (p.kind === 'import') reloadImagesWhileImporting()
    }),
    api.on('job:done', (info) => {
      jobs.onDone(info)
      const message = jobDoneMessage(info)
      if (message) notifications.push('info', message)
      else if (info.state === 'failed' && info.error) notifications.push('error', `${jobTitle(info.kind)} failed: ${info.error.message}`)
    }),
    api.on('engine:status', (status) => engine.onStatus(status)),
    api.on('images:changed', () => reloadImages()),
    api.on('instances:changed', ({ imageId }) => {
      if (imageId === instances.imageId) reloadInstances()
    }),
    api.on('history:changed', (state) => history.set(state))
  ]

  // A fresh engine has no embeddings: get the open image ready for the box tool again. It may also
  // have found other packs (or lost a broken one), so the list is read again.
  const stopReady = watch(
    () => engine.readyCount,
    () => {
      workbench.prepareEngine()
      void packs.load()
    }
  )

  // Another window (or a project reopened on another pack) may switch the active pack: the list's
  // "active" mark follows the engine's word.
  const stopActivePack = watch(
    () => engine.status?.activePack ?? null,
    (active, previous) => {
      if (active !== previous && packs.items !== null && packs.active?.id !== active) void packs.load()
    }
  )

  const stopEpoch = watch(
    () => session.epoch,
    () => void workbench.loadAll(),
    { immediate: session.epoch > 0 }
  )

  onScopeDispose(() => {
    for (const off of offs) off()
    reloadImages.cancel()
    reloadImagesWhileImporting.cancel()
    reloadInstances.cancel()
    stopEpoch()
    stopReady()
    stopActivePack()
  })
}
