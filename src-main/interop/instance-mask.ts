import { errorMessage } from '../common/errors'
import { area, decompress, toBbox, type Bbox, type RleRuns } from '../masks/rle'
import type { SnapshotImage, SnapshotInstance } from '../store/project-snapshot'

/** A stored mask, decoded and checked against its image, with area and box computed from it. */
export interface CheckedMask {
  readonly runs: RleRuns
  readonly area: number
  readonly bbox: Bbox
}

/**
 * Decodes an instance's mask for export and checks what COCO readers rely on: the mask has the image's
 * size and covers at least one pixel. Area and box come from the mask itself (never from stored
 * columns), so they agree with the segmentation whatever wrote the row. Answers a reason when the
 * instance cannot go out.
 */
export function checkMask(instance: SnapshotInstance, image: SnapshotImage): CheckedMask | { readonly reason: string } {
  if (instance.height !== image.height || instance.width !== image.width) {
    return {
      reason: `mask is ${instance.width}x${instance.height} (width x height) but the image is ${image.width}x${image.height}`
    }
  }
  let runs: RleRuns
  try {
    runs = decompress({ size: [instance.height, instance.width], counts: instance.counts })
  } catch (error) {
    return { reason: `stored mask cannot be decoded: ${errorMessage(error)}` }
  }
  const pixels = area(runs)
  if (pixels === 0) return { reason: 'mask is empty' }
  return { runs, area: pixels, bbox: toBbox(runs) }
}
