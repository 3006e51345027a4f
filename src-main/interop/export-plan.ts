import { resolve } from 'node:path'
import type { CategoryValue, ExportOptionsValue, InstanceStatusValue, ItemProblemValue } from '../../src-preload/contract'
import { throwIfAborted } from '../common/errors'
import type { ProjectStore } from '../store/project-store'
import type { ImageFilter, ProjectSnapshot, SnapshotImage, SnapshotInstance } from '../store/project-snapshot'
import { CategoryResolver } from './category-resolver'
import { splitSide, type SplitSide } from './dataset-split'
import { ExportNamer, type ExportNames } from './export-paths'

/** An image as an export writes it. */
export interface PlannedImage extends SnapshotImage {
  /** The split side, or null without a split. */
  readonly side: SplitSide | null
  readonly names: ExportNames
}

/** An instance as an export writes it, with its exported category. */
export interface PlannedInstance extends SnapshotInstance {
  readonly category: CategoryValue
}

/** One image with its instances. */
export interface PlannedItem {
  readonly image: PlannedImage
  readonly instances: readonly PlannedInstance[]
}

const PAGE = 500

/**
 * What one export takes from the project, read from a snapshot so that a long export sees one moment of
 * the project while annotators go on working: the images (with their split side and names), their
 * instances (with categories resolved, synonyms merged) and the categories that occur. Close it when done.
 */
export class ExportPlan {
  /** Exported categories, by id. */
  readonly categories: readonly CategoryValue[]
  /** Images the export takes. */
  readonly imageCount: number
  /** Instances of the selected statuses on those images with a category (before mask checks). */
  readonly instanceCount: number
  /** Instances left out because no category resolves for them. */
  readonly uncategorised: number
  /** Statuses read: the selected ones, plus `proposed` when a results file needs it. */
  readonly readStatuses: readonly InstanceStatusValue[]
  /** Folder image paths are made relative to. */
  readonly imageRoot: string

  /** EXIF-rotated images and images outside the image root, as counted by the last complete `pages()` walk. */
  readonly tally = { rotated: 0, outside: 0 }

  private readonly filter: ImageFilter
  private readonly resolver: CategoryResolver

  private constructor(
    private readonly snapshot: ProjectSnapshot,
    readonly options: ExportOptionsValue,
    private readonly projectRoot: string
  ) {
    const statuses = [...new Set(options.statuses)]
    this.filter = { statuses, onlyDone: options.onlyDoneImages }
    const wantsResults = options.format === 'coco' && options.resultsFile
    this.readStatuses = wantsResults && !statuses.includes('proposed') ? [...statuses, 'proposed'] : statuses
    this.imageRoot = options.imageRoot === null ? projectRoot : resolve(projectRoot, options.imageRoot)
    this.resolver = new CategoryResolver(snapshot.categories())
    const used = new Map<number, CategoryValue>()
    let instances = 0
    let uncategorised = 0
    for (const usage of snapshot.categoryUsage(this.filter)) {
      const category = this.resolver.resolve(usage.categoryId, usage.categoryText)
      if (category === undefined) {
        uncategorised += usage.count
        continue
      }
      used.set(category.id, category)
      instances += usage.count
    }
    this.categories = [...used.values()].sort((a, b) => a.id - b.id)
    this.instanceCount = instances
    this.uncategorised = uncategorised
    this.imageCount = snapshot.countImages(this.filter)
  }

  /** Plans an export of `store`'s project. */
  static open(store: ProjectStore, options: ExportOptionsValue): ExportPlan {
    const snapshot = store.openSnapshot()
    try {
      return new ExportPlan(snapshot, options, store.root)
    } catch (error) {
      snapshot.close()
      throw error
    }
  }

  /**
   * The images with their instances, a page at a time, in id order. Instances whose category does not
   * resolve are reported to `skipped`. Every call starts from the first image and names images afresh.
   */
  async *pages(signal: AbortSignal | undefined, skipped: ItemProblemValue[] | null): AsyncGenerator<PlannedItem[]> {
    const namer = new ExportNamer(this.projectRoot, this.imageRoot)
    const split = this.options.split
    let afterId = 0
    let rotated = 0
    let outside = 0
    for (;;) {
      throwIfAborted(signal)
      const images = this.snapshot.images(this.filter, afterId, PAGE)
      if (images.length === 0) {
        this.tally.rotated = rotated
        this.tally.outside = outside
        return
      }
      afterId = images[images.length - 1]!.id
      const rows = this.snapshot.instances(this.readStatuses, images[0]!.id, afterId)
      const byImage = new Map<number, PlannedInstance[]>()
      for (const image of images) byImage.set(image.id, [])
      const paths = new Map(images.map((i) => [i.id, i.path]))
      for (const row of rows) {
        const list = byImage.get(row.imageId)
        if (list === undefined) continue
        const category = this.resolver.resolve(row.categoryId, row.categoryText)
        if (category === undefined) {
          skipped?.push({
            item: instanceLabel(row.id, row.imageId, paths.get(row.imageId) ?? ''),
            reason: `category "${row.categoryText}" is not in the project's categories`
          })
          continue
        }
        list.push({ ...row, category })
      }
      yield images.map((image) => {
        const names = namer.name(image)
        if (image.orientation !== 1) rotated++
        if (names.outside) outside++
        return {
          image: { ...image, side: split === null ? null : splitSide(image.contentHash, split.seed, split.valFraction), names },
          instances: byImage.get(image.id)!
        }
      })
    }
  }

  /** True when an instance's status is one the export takes (not only read for a results file). */
  exports(instance: SnapshotInstance): boolean {
    return this.filter.statuses.includes(instance.status)
  }

  /** Releases the snapshot. */
  close(): void {
    this.snapshot.close()
  }
}

/** How reports name an instance: `instance 12 on image 3 (photos/a.jpg)`. */
export function instanceLabel(instanceId: number, imageId: number, path: string): string {
  return `instance ${instanceId} on image ${imageId} (${path})`
}

/** How reports name an image: `image 3 (photos/a.jpg)`. */
export function imageLabel(image: { readonly id: number; readonly path: string }): string {
  return `image ${image.id} (${image.path})`
}
