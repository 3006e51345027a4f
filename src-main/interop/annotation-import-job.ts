import { resolve } from 'node:path'
import type { AnnotationImportReportValue, AnnotationImportRequestValue } from '../../src-preload/contract'
import { ImportProgressMeter } from '../images/import-progress'
import type { ProgressUpdate } from '../jobs/job-manager'
import type { ProjectStore } from '../store/project-store'
import { importCoco } from './coco-import'
import { ProjectImageIndex } from './image-matcher'
import type { ImportContext, ImportCounts } from './import-context'
import { ImportProblems } from './import-problems'
import { ImportSink } from './import-sink'
import { importLabelme } from './labelme-import'
import { importYoloSeg } from './yolo-import'

const READERS: Record<AnnotationImportRequestValue['format'], (context: ImportContext) => Promise<void>> = {
  coco: importCoco,
  labelme: importLabelme,
  'yolo-seg': importYoloSeg
}

/**
 * Runs an annotation import: reads the file(s) in the request's format, places each annotation on the
 * project image it names, and stores it as an accepted human annotation with its category merged into
 * the project's by name. What is written stays written if the job is cancelled or fails halfway; running
 * the same import again skips what is already there. `onImagesChanged` hears which images got instances.
 */
export async function runAnnotationImport(
  store: ProjectStore,
  request: AnnotationImportRequestValue,
  progress: (update: ProgressUpdate) => void,
  signal?: AbortSignal,
  onImagesChanged?: (imageIds: ReadonlySet<number>) => void
): Promise<AnnotationImportReportValue> {
  const started = performance.now()
  const path = resolve(store.root, request.path)
  const normalised = { ...request, imageRoot: request.imageRoot === null ? null : resolve(store.root, request.imageRoot) }
  const meter = new ImportProgressMeter((p) => progress(p))
  meter.start()
  const counts: ImportCounts = { imagesMatched: 0, imagesUnmatched: 0, crowdSkipped: 0, imagesConvertedFromStoredFrame: 0 }
  const problems = new ImportProblems()
  const sink = new ImportSink(store, request.dryRun)
  const context: ImportContext = {
    request: normalised,
    path,
    index: new ProjectImageIndex(store.root, store.imageRefs()),
    sink,
    problems,
    counts,
    signal,
    progress: (done, total, message) => meter.update(done, total, message)
  }
  try {
    await READERS[request.format](context)
  } finally {
    // Whatever was read before a cancel or an error is kept, as the doc comment promises.
    sink.flush()
    const touched = sink.totals().touchedImages
    if (touched.size > 0) onImagesChanged?.(touched)
  }
  const totals = sink.totals()
  return {
    format: request.format,
    path,
    dryRun: request.dryRun,
    ...counts,
    instancesImported: totals.imported,
    instancesDuplicate: totals.duplicates,
    categoriesCreated: totals.categoriesCreated,
    categoriesMerged: totals.categoriesMerged,
    problems: problems.list,
    problemCount: problems.count,
    elapsedSeconds: (performance.now() - started) / 1000
  }
}
