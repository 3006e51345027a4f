import { describe, expect, test } from 'vitest'
import { ExportOptions } from '../../../src-preload/contract'
import {
  EXPORT_FORMATS,
  buildExportOptions,
  defaultExportForm,
  exportFormProblem,
  type ExportForm
} from '../../../src-renderer/src/components/export-options'

function form(patch: Partial<ExportForm> = {}): ExportForm {
  return { ...defaultExportForm(), ...patch }
}

describe('buildExportOptions', () => {
  test('the default form is accepted COCO RLE of the whole project, with image paths relative to the project', () => {
    expect(buildExportOptions(form())).toEqual({
      format: 'coco',
      statuses: ['accepted'],
      onlyDoneImages: false,
      split: null,
      imageRoot: null,
      copyImages: false,
      segmentation: 'rle',
      resultsFile: false
    })
  })

  test('every format builds options that the contract accepts as they are', () => {
    for (const { id } of EXPORT_FORMATS) {
      const options = buildExportOptions(form({ format: id, includeProposed: true, split: true, valPercent: 15, seed: 7, imageRoot: ' ../images ' }))
      const parsed = ExportOptions.parse(options)
      expect(parsed.statuses).toEqual(['accepted', 'proposed'])
      expect(parsed.split).toEqual({ valFraction: 0.15, seed: 7 })
      expect(parsed.imageRoot).toBe('../images')
    }
  })

  test('polygon formats carry the tolerance and the holes choice; COCO polygons keep the results-file flag', () => {
    expect(buildExportOptions(form({ format: 'coco-polygon', polygonTolerance: 1.5, dropHoles: true, resultsFile: true }))).toMatchObject({
      format: 'coco',
      segmentation: 'polygon',
      polygonTolerance: 1.5,
      polygonHoles: 'drop',
      resultsFile: true
    })
    expect(buildExportOptions(form({ format: 'yolo-seg' }))).toMatchObject({ format: 'yolo-seg', polygonTolerance: 0, polygonHoles: 'subtract' })
    expect(buildExportOptions(form({ format: 'masks', semantic: false }))).toMatchObject({ format: 'masks', semantic: false, instance: true })
  })
})

describe('exportFormProblem', () => {
  test('says what is wrong with a split share, a tolerance or a masks export without masks', () => {
    expect(exportFormProblem(form())).toBeNull()
    expect(exportFormProblem(form({ split: true, valPercent: 100 }))).toBe('The validation share must be between 0 and 100 %.')
    expect(exportFormProblem(form({ split: true, seed: 1.5 }))).toBe('The split seed must be a whole number.')
    expect(exportFormProblem(form({ format: 'labelme', polygonTolerance: -1 }))).toBe('The polygon tolerance must be between 0 and 100 pixels.')
    expect(exportFormProblem(form({ format: 'coco-rle', polygonTolerance: -1 }))).toBeNull()
    expect(exportFormProblem(form({ format: 'masks', semantic: false, instance: false }))).toBe('Choose semantic masks, instance masks or both.')
  })
})
