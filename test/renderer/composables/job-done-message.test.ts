// @vitest-environment happy-dom
import { describe, expect, test } from 'vitest'
import type { JobInfoValue } from '../../../src-preload/contract'
import { jobDoneMessage } from '../../../src-renderer/src/composables/use-rose-events'
import { annotationImportReportOf, exportReportOf } from '../../../src-renderer/src/stores/jobs'

function job(kind: string, result: unknown, state: JobInfoValue['state'] = 'succeeded'): JobInfoValue {
  return { id: 3, kind, state, progress: null, result, error: null, createdAt: 't', updatedAt: 't' }
}

const exportResult = {
  format: 'coco',
  destination: '/tmp/out',
  files: ['instances.json'],
  images: 2,
  instances: 1,
  categories: 1,
  copiedImages: 0,
  skipped: [],
  warnings: [],
  polygons: null,
  elapsedSeconds: 0.2
}

const importResult = {
  format: 'coco',
  path: '/tmp/out/instances.json',
  dryRun: false,
  imagesMatched: 1,
  imagesUnmatched: 1,
  instancesImported: 4,
  instancesDuplicate: 1,
  crowdSkipped: 0,
  categoriesCreated: ['cup'],
  categoriesMerged: [],
  imagesConvertedFromStoredFrame: 0,
  problems: [{ item: 'annotation 9', reason: 'category_id 7 is not in categories' }],
  problemCount: 1,
  elapsedSeconds: 0.1
}

describe('finished jobs', () => {
  test('reads export and annotation-import results as their reports, and anything else as none', () => {
    expect(exportReportOf(job('export', exportResult))).toEqual(exportResult)
    expect(annotationImportReportOf(job('annotations-import', importResult))).toEqual(importResult)
    expect(exportReportOf(job('export', { imported: 3 }))).toBeNull()
    expect(annotationImportReportOf(job('annotations-import', null))).toBeNull()
  })

  test('says in one line what an export, an annotation import and a check did', () => {
    expect(jobDoneMessage(job('export', exportResult))).toBe('Export finished: 1 instance on 2 images')
    expect(jobDoneMessage(job('annotations-import', importResult))).toBe('Annotation import finished: 4 imported, 1 problem')
    expect(jobDoneMessage(job('annotations-import', { ...importResult, dryRun: true, problemCount: 0, problems: [] }))).toBe(
      'Annotation check finished: 4 would be imported'
    )
    expect(jobDoneMessage(job('import', { imported: 9, skippedDuplicates: [], failed: [{ item: 'x.png', reason: 'empty' }], elapsedSeconds: 1 }))).toBe(
      'Import finished: 9 imported, 1 failed'
    )
  })

  test('has nothing to say for failed or cancelled jobs (those are reported apart) or unknown kinds', () => {
    expect(jobDoneMessage(job('export', exportResult, 'cancelled'))).toBeNull()
    expect(jobDoneMessage(job('finetune', {}))).toBeNull()
  })
})
