import { resolve } from 'node:path'
import type { ExportOptionsValue, ExportReportValue, ItemProblemValue } from '../../src-preload/contract'
import { ExpectedError } from '../common/errors'
import { ImportProgressMeter } from '../images/import-progress'
import type { ProgressUpdate } from '../jobs/job-manager'
import type { ProjectStore } from '../store/project-store'
import { writeCoco } from './coco-export'
import type { ExportContext, WriterResult } from './export-context'
import { ExportPlan } from './export-plan'
import { exportWarnings } from './export-preview'
import { writeLabelme } from './labelme-export'
import { writeMasks } from './mask-png-export'
import { writeYoloSeg } from './yolo-export'

const WRITERS: Record<ExportOptionsValue['format'], (context: ExportContext) => Promise<WriterResult>> = {
  coco: writeCoco,
  labelme: writeLabelme,
  'yolo-seg': writeYoloSeg,
  masks: writeMasks
}

/**
 * Runs one export: plans it from a snapshot of the project, hands it to the format's writer, and reports
 * what was written and what was left out. `destination` resolves against the project folder.
 */
export async function runExport(
  store: ProjectStore,
  options: ExportOptionsValue,
  destination: string,
  progress: (update: ProgressUpdate) => void,
  signal?: AbortSignal
): Promise<ExportReportValue> {
  const started = performance.now()
  const target = resolve(store.root, destination)
  checkOptions(options)
  const plan = ExportPlan.open(store, options)
  const skipped: ItemProblemValue[] = []
  const warnings: string[] = []
  const total = plan.imageCount + plan.instanceCount
  const meter = new ImportProgressMeter((p) => progress(p))
  meter.start()
  try {
    const context: ExportContext = {
      plan,
      destination: target,
      projectRoot: store.root,
      signal,
      skipped,
      warnings,
      progress: (done, message) => meter.update(done, total, message)
    }
    const result = await WRITERS[options.format](context)
    meter.update(total, total, 'done', true)
    const counts = { ...plan.tally, withHoles: result.polygons?.instancesWithHoles ?? 0, uncategorised: plan.uncategorised }
    for (const warning of exportWarnings(options, counts)) if (!warnings.includes(warning)) warnings.push(warning)
    return {
      format: options.format,
      destination: target,
      ...result,
      categories: plan.categories.length,
      skipped,
      warnings,
      elapsedSeconds: (performance.now() - started) / 1000
    }
  } finally {
    plan.close()
  }
}

function checkOptions(options: ExportOptionsValue): void {
  if (options.format === 'masks' && !options.semantic && !options.instance) {
    throw new ExpectedError('INVALID_ARGUMENT', 'options: a masks export needs semantic or instance masks (or both)')
  }
}
