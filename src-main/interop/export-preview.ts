import { setImmediate as yieldToEventLoop } from 'node:timers/promises'
import type { ExportOptionsValue, ExportPreviewValue } from '../../src-preload/contract'
import { decompress } from '../masks/rle'
import type { ProjectStore } from '../store/project-store'
import { ExportPlan } from './export-plan'
import { maskTopology } from './mask-topology'

/**
 * Counts what an export with these options would write, for the export dialog: images, instances,
 * categories, instances with holes or several parts (what polygon formats must cut or join), EXIF-rotated
 * images, images outside the image root, and the split. Reads the project between pauses for other
 * requests, so a large project does not hold up the UI.
 */
export async function previewExport(store: ProjectStore, options: ExportOptionsValue, signal?: AbortSignal): Promise<ExportPreviewValue> {
  const plan = ExportPlan.open(store, options)
  try {
    const byStatus = { accepted: 0, proposed: 0 }
    const split = options.split === null ? null : { train: { images: 0, instances: 0 }, val: { images: 0, instances: 0 } }
    let images = 0
    let instances = 0
    let withHoles = 0
    let severalParts = 0
    for await (const page of plan.pages(signal, null)) {
      for (const { image, instances: list } of page) {
        images++
        let exported = 0
        for (const instance of list) {
          if (!plan.exports(instance)) continue
          exported++
          byStatus[instance.status === 'proposed' ? 'proposed' : 'accepted']++
          try {
            const topology = maskTopology(decompress({ size: [instance.height, instance.width], counts: instance.counts }))
            if (topology.holes > 0) withHoles++
            if (topology.parts > 1) severalParts++
          } catch {
            // A corrupt mask is reported by the export itself; the preview only counts.
          }
        }
        instances += exported
        if (split !== null && image.side !== null) {
          split[image.side].images++
          split[image.side].instances += exported
        }
      }
      await yieldToEventLoop()
    }
    return {
      images,
      instances,
      categories: plan.categories.length,
      byStatus,
      instancesWithHoles: withHoles,
      instancesWithSeveralParts: severalParts,
      imagesWithExifRotation: plan.tally.rotated,
      imagesOutsideRoot: plan.tally.outside,
      split,
      warnings: exportWarnings(options, { ...plan.tally, withHoles, uncategorised: plan.uncategorised })
    }
  } finally {
    plan.close()
  }
}

/** Warnings an export dialog shows before the user starts the export. */
export function exportWarnings(
  options: ExportOptionsValue,
  counts: { rotated: number; outside: number; withHoles: number; uncategorised: number }
): string[] {
  const warnings: string[] = []
  if (counts.rotated > 0 && !options.copyImages && options.format !== 'masks') {
    warnings.push(
      `${counts.rotated} image(s) carry an EXIF rotation: annotations are in the upright frame, which loaders that ignore EXIF do not see; copy the images to bake the rotation in`
    )
  }
  if (counts.outside > 0 && !options.copyImages) {
    warnings.push(`${counts.outside} image(s) lie outside the image root: their file names start with ../`)
  }
  const polygons = options.format === 'labelme' || options.format === 'yolo-seg' || (options.format === 'coco' && options.segmentation === 'polygon')
  if (polygons && counts.withHoles > 0 && options.polygonHoles === 'drop') {
    warnings.push(`${counts.withHoles} instance(s) have holes, which will be filled: polygons with holes dropped`)
  }
  if (options.format === 'yolo-seg' && !options.copyImages) {
    warnings.push(
      'images are not copied: YOLO loaders find labels by replacing /images/ with /labels/ in each image path, so the images must be put under images/train (and images/val) of the export'
    )
  }
  if (counts.uncategorised > 0) {
    warnings.push(`${counts.uncategorised} instance(s) have a category that no longer exists and will be left out`)
  }
  return warnings
}
