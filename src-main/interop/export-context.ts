import { join } from 'node:path'
import type { ExportReportValue, ItemProblemValue } from '../../src-preload/contract'
import { errorMessage, throwIfAborted } from '../common/errors'
import { resolveProjectPath } from '../images/project-path'
import type { ExportPlan, PlannedItem } from './export-plan'
import { imageLabel } from './export-plan'
import { copyImage, forEachLimited } from './image-copy'
import type { CheckedMask } from './instance-mask'
import { maskToPolygons, polygonFidelity, type InstancePolygons, type PolygonOptions } from './mask-polygons'

/** Everything one format writer needs: the plan, where to write, and where to report. */
export interface ExportContext {
  readonly plan: ExportPlan
  /** Absolute destination folder. */
  readonly destination: string
  readonly projectRoot: string
  readonly signal: AbortSignal | undefined
  /** Items left out, with the reason. */
  readonly skipped: ItemProblemValue[]
  readonly warnings: string[]
  /** Reports progress: `done` of the plan's images plus instances. */
  progress(done: number, message: string): void
}

/** What a format writer reports back. */
export type WriterResult = Pick<ExportReportValue, 'files' | 'images' | 'instances' | 'copiedImages' | 'polygons'>

// Decoding and re-encoding is CPU-bound in libvips' pool: two at a time keeps both cores busy.
const COPY_CONCURRENCY = 2

/**
 * Copies a page's images below `folder(item)` when the export copies images; answers the ids of images
 * that could not be copied (reported in `skipped`), which the writer then leaves out with their instances.
 */
export async function copyPageImages(
  context: ExportContext,
  items: readonly PlannedItem[],
  folder: (item: PlannedItem) => string
): Promise<{ failed: Set<number>; copied: number }> {
  const failed = new Set<number>()
  let copied = 0
  if (!context.plan.options.copyImages) return { failed, copied }
  await forEachLimited(items, COPY_CONCURRENCY, async (item) => {
    throwIfAborted(context.signal)
    const { image } = item
    try {
      await copyImage(
        {
          file: resolveProjectPath(context.projectRoot, image.path),
          format: image.format,
          orientation: image.orientation,
          width: image.width,
          height: image.height
        },
        join(folder(item), ...image.names.copyName.split('/'))
      )
      copied++
    } catch (error) {
      failed.add(image.id)
      context.skipped.push({ item: imageLabel(image), reason: `cannot copy the image: ${errorMessage(error)}` })
    }
  })
  return { failed, copied }
}

/** Polygon options of a polygon format. */
export function polygonOptionsOf(options: { readonly polygonHoles: 'subtract' | 'drop'; readonly polygonTolerance: number }): PolygonOptions {
  return { holes: options.polygonHoles, tolerance: options.polygonTolerance }
}

/** Collects how faithful an export's polygons are. */
export class PolygonStats {
  private withHoles = 0
  private dropped = 0
  private inexact = 0
  private iouSum = 0
  private iouMin = 1
  private count = 0

  /** Records one instance: its hole count, whether holes were dropped, and the IoU of its polygons. */
  add(holes: number, holesDropped: boolean, iou: number): void {
    this.count++
    if (holes > 0) this.withHoles++
    if (holes > 0 && holesDropped) this.dropped++
    if (iou < 1) this.inexact++
    this.iouSum += iou
    this.iouMin = Math.min(this.iouMin, iou)
  }

  /** The summary for the report. */
  summary(): NonNullable<ExportReportValue['polygons']> {
    return {
      instancesWithHoles: this.withHoles,
      holesDropped: this.dropped,
      inexact: this.inexact,
      minIou: this.count === 0 ? null : this.iouMin,
      meanIou: this.count === 0 ? null : this.iouSum / this.count
    }
  }
}

/**
 * An instance's polygons for export, recorded in `stats`. Exact pixel outlines with holes cut in are
 * exact by construction (tested against pycocotools' rasteriser), so only simplified polygons and
 * dropped holes are rasterised again to measure what they lost.
 */
export function polygonsFor(mask: CheckedMask, options: PolygonOptions, stats: PolygonStats): InstancePolygons {
  const polygons = maskToPolygons(mask.runs, options)
  const exact = options.tolerance === 0 && (options.holes === 'subtract' || polygons.holes === 0)
  stats.add(polygons.holes, options.holes === 'drop', exact ? 1 : polygonFidelity(mask.runs, polygons.rings))
  return polygons
}
