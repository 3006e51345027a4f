import { defineStore } from 'pinia'
import { computed, shallowReactive } from 'vue'
import type {
  AnnotationImportReportValue,
  AutoAnnotateReportValue,
  ExportReportValue,
  ImportReportValue,
  JobInfoValue,
  JobProgressValue,
  RequestOf
} from '../../../src-preload/contract'
import { useSessionStore } from './session'

/** A job's result read as an import report, when it has that shape (results cross as `unknown`). */
export function importReportOf(info: JobInfoValue): ImportReportValue | null {
  const r = info.result as Partial<ImportReportValue> | null
  if (!r || typeof r.imported !== 'number' || !Array.isArray(r.failed) || !Array.isArray(r.skippedDuplicates)) return null
  return { imported: r.imported, failed: r.failed, skippedDuplicates: r.skippedDuplicates, elapsedSeconds: r.elapsedSeconds ?? 0 }
}

/** Job kinds main runs, as `JobInfo.kind` names them. */
export const JOB_KINDS = {
  import: 'import',
  export: 'export',
  annotationsImport: 'annotations-import',
  autoAnnotate: 'auto-annotate'
} as const

/** A job's result read as an auto-annotation report, when it has that shape. */
export function autoAnnotateReportOf(info: JobInfoValue): AutoAnnotateReportValue | null {
  const r = info.result as Partial<AutoAnnotateReportValue> | null
  if (!r || typeof r.pack !== 'string' || typeof r.instances !== 'number' || !Array.isArray(r.failed)) return null
  return {
    pack: r.pack,
    images: r.images ?? 0,
    annotated: r.annotated ?? 0,
    alreadyDone: r.alreadyDone ?? 0,
    instances: r.instances,
    failed: r.failed,
    elapsedSeconds: r.elapsedSeconds ?? 0,
    imagesPerSecond: r.imagesPerSecond ?? null
  }
}

/** A job's result read as an export report, when it has that shape. */
export function exportReportOf(info: JobInfoValue): ExportReportValue | null {
  const r = info.result as Partial<ExportReportValue> | null
  if (!r || typeof r.format !== 'string' || !Array.isArray(r.files) || typeof r.instances !== 'number') return null
  return {
    format: r.format,
    destination: r.destination ?? '',
    files: r.files,
    images: r.images ?? 0,
    instances: r.instances,
    categories: r.categories ?? 0,
    copiedImages: r.copiedImages ?? 0,
    skipped: r.skipped ?? [],
    warnings: r.warnings ?? [],
    polygons: r.polygons ?? null,
    elapsedSeconds: r.elapsedSeconds ?? 0
  }
}

/** A job's result read as an annotation import report, when it has that shape. */
export function annotationImportReportOf(info: JobInfoValue): AnnotationImportReportValue | null {
  const r = info.result as Partial<AnnotationImportReportValue> | null
  if (!r || typeof r.instancesImported !== 'number' || !Array.isArray(r.problems)) return null
  return {
    format: r.format ?? 'coco',
    path: r.path ?? '',
    dryRun: r.dryRun ?? false,
    imagesMatched: r.imagesMatched ?? 0,
    imagesUnmatched: r.imagesUnmatched ?? 0,
    instancesImported: r.instancesImported,
    instancesDuplicate: r.instancesDuplicate ?? 0,
    crowdSkipped: r.crowdSkipped ?? 0,
    categoriesCreated: r.categoriesCreated ?? [],
    categoriesMerged: r.categoriesMerged ?? [],
    imagesConvertedFromStoredFrame: r.imagesConvertedFromStoredFrame ?? 0,
    problems: r.problems,
    problemCount: r.problemCount ?? r.problems.length,
    elapsedSeconds: r.elapsedSeconds ?? 0
  }
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

  /** Starts an export to a folder (a server-side path in serve mode); returns the job id. */
  async function startExport(options: RequestOf<'export:start'>['options'], destination: string): Promise<number> {
    const { jobId } = await session.requireApi().invoke('export:start', { options, destination })
    if (!finished.has(jobId) && !progress.has(jobId)) progress.set(jobId, blankProgress(jobId, JOB_KINDS.export))
    return jobId
  }

  /** Starts an import of annotation files onto the project's images; returns the job id. */
  async function startAnnotationImport(request: RequestOf<'annotations:import'>): Promise<number> {
    const { jobId } = await session.requireApi().invoke('annotations:import', request)
    if (!finished.has(jobId) && !progress.has(jobId)) progress.set(jobId, blankProgress(jobId, JOB_KINDS.annotationsImport))
    return jobId
  }

  /**
   * Starts auto-annotating images (ids, or every image without proposals) with a pack (the active one
   * by default); returns the job id. Proposals arrive image by image as `instances:changed`.
   */
  async function startAutoAnnotate(imageIds: readonly number[] | 'all-without-proposals', pack?: string): Promise<number> {
    const { jobId } = await session
      .requireApi()
      .invoke('engine:autoAnnotate', { imageIds: imageIds === 'all-without-proposals' ? imageIds : [...imageIds], ...(pack ? { pack } : {}) })
    if (!finished.has(jobId) && !progress.has(jobId)) progress.set(jobId, blankProgress(jobId, JOB_KINDS.autoAnnotate))
    return jobId
  }

  /** The newest running job of a kind, if any (a dialog opened while its job runs picks it up). */
  function runningOf(kind: string): JobProgressValue | null {
    return running.value.filter((j) => j.kind === kind).at(-1) ?? null
  }

  /** Asks main to cancel a job; its end still arrives as `job:done`. */
  async function cancel(jobId: number): Promise<boolean> {
    const { cancelled } = await session.requireApi().invoke('jobs:cancel', { jobId })
    return cancelled
  }

  return {
    progress,
    finished,
    running,
    onProgress,
    onDone,
    load,
    startImport,
    startExport,
    startAnnotationImport,
    startAutoAnnotate,
    runningOf,
    cancel
  }
})

function blankProgress(jobId: number, kind: string): JobProgressValue {
  return { jobId, kind, done: 0, total: null, ratePerSecond: null, etaSeconds: null, message: null }
}
