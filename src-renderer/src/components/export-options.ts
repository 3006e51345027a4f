import type { RequestOf } from '../../../src-preload/contract'
import { assertNever } from '../canvas/mode'

/** The export options as `export:preview` / `export:start` take them. */
export type ExportOptionsInput = RequestOf<'export:start'>['options']

/** The formats the dialog offers; COCO comes twice, once per segmentation encoding. */
export type ExportFormatChoice = 'coco-rle' | 'coco-polygon' | 'labelme' | 'yolo-seg' | 'masks'

/** One entry of the format list: its name, a line on what it is for, and whether masks become polygons. */
export interface ExportFormatInfo {
  readonly id: ExportFormatChoice
  readonly label: string
  readonly detail: string
  readonly polygons: boolean
}

/** The format list, in the order the dialog shows it. */
export const EXPORT_FORMATS: readonly ExportFormatInfo[] = [
  { id: 'coco-rle', label: 'COCO · RLE masks', detail: 'Exact masks, holes kept; what detectron2, mmdetection and pycocotools read.', polygons: false },
  { id: 'coco-polygon', label: 'COCO · polygons', detail: 'Outlines instead of masks, for tools that only read polygons.', polygons: true },
  { id: 'labelme', label: 'labelme JSON', detail: 'One JSON file per image, next to the image paths.', polygons: true },
  { id: 'yolo-seg', label: 'YOLO-seg', detail: 'One .txt per image and a data.yaml (Ultralytics).', polygons: true },
  { id: 'masks', label: 'PNG masks', detail: 'Semantic (class index) and instance (16-bit id) PNGs with a class list.', polygons: false }
]

/** What the export dialog's fields hold (plain values, as the inputs bind them). */
export interface ExportForm {
  format: ExportFormatChoice
  /** Export proposed instances too, not only accepted ones. */
  includeProposed: boolean
  onlyDoneImages: boolean
  split: boolean
  /** Share of images in the validation set, in percent. */
  valPercent: number
  seed: number
  copyImages: boolean
  /** Empty: image paths relative to the project folder. */
  imageRoot: string
  /** Douglas–Peucker tolerance in pixels (polygon formats). */
  polygonTolerance: number
  /** Drop holes instead of cutting them into the outline (polygon formats). */
  dropHoles: boolean
  /** COCO: also write a results file with the proposed instances and their scores. */
  resultsFile: boolean
  semantic: boolean
  instance: boolean
}

/** The form a fresh dialog starts with: accepted COCO RLE of the whole project, nothing copied. */
export function defaultExportForm(): ExportForm {
  return {
    format: 'coco-rle',
    includeProposed: false,
    onlyDoneImages: false,
    split: false,
    valPercent: 20,
    seed: 0,
    copyImages: false,
    imageRoot: '',
    polygonTolerance: 0,
    dropHoles: false,
    resultsFile: false,
    semantic: true,
    instance: true
  }
}

/** Whether the chosen format writes polygons (and so takes the tolerance and holes options). */
export function isPolygonFormat(format: ExportFormatChoice): boolean {
  return EXPORT_FORMATS.find((f) => f.id === format)?.polygons ?? false
}

/** What is wrong with the form, in words, or null when it can be sent. */
export function exportFormProblem(form: ExportForm): string | null {
  if (form.split) {
    if (!Number.isFinite(form.valPercent) || form.valPercent <= 0 || form.valPercent >= 100) {
      return 'The validation share must be between 0 and 100 %.'
    }
    if (!Number.isInteger(form.seed)) return 'The split seed must be a whole number.'
  }
  if (isPolygonFormat(form.format) && (!Number.isFinite(form.polygonTolerance) || form.polygonTolerance < 0 || form.polygonTolerance > 100)) {
    return 'The polygon tolerance must be between 0 and 100 pixels.'
  }
  if (form.format === 'masks' && !form.semantic && !form.instance) return 'Choose semantic masks, instance masks or both.'
  return null
}

/** The contract's options for a form (call `exportFormProblem` first: invalid numbers are passed on as they are). */
export function buildExportOptions(form: ExportForm): ExportOptionsInput {
  const common = {
    statuses: form.includeProposed ? (['accepted', 'proposed'] as ('accepted' | 'proposed')[]) : (['accepted'] as ('accepted' | 'proposed')[]),
    onlyDoneImages: form.onlyDoneImages,
    split: form.split ? { valFraction: Math.round(form.valPercent * 100) / 10_000, seed: form.seed } : null,
    imageRoot: form.imageRoot.trim() === '' ? null : form.imageRoot.trim(),
    copyImages: form.copyImages
  }
  const polygons = { polygonTolerance: form.polygonTolerance, polygonHoles: form.dropHoles ? ('drop' as const) : ('subtract' as const) }
  switch (form.format) {
    case 'coco-rle':
      return { format: 'coco', ...common, segmentation: 'rle', resultsFile: form.resultsFile }
    case 'coco-polygon':
      return { format: 'coco', ...common, segmentation: 'polygon', ...polygons, resultsFile: form.resultsFile }
    case 'labelme':
      return { format: 'labelme', ...common, ...polygons }
    case 'yolo-seg':
      return { format: 'yolo-seg', ...common, ...polygons }
    case 'masks':
      return { format: 'masks', ...common, semantic: form.semantic, instance: form.instance }
    default:
      return assertNever(form.format)
  }
}
