import { area, compress, toBbox, type RleRuns } from '../masks/rle'
import type { ImportedInstance, ProjectStore } from '../store/project-store'

/** An instance read from an annotation file, its mask already in the project's (oriented) frame. */
export interface IncomingInstance {
  readonly imageId: number
  readonly runs: RleRuns
  readonly category: string
  readonly supercategory?: string | null
}

/** What the sink did, for the report. */
export interface SinkTotals {
  readonly imported: number
  readonly duplicates: number
  readonly categoriesCreated: string[]
  readonly categoriesMerged: { from: string; to: string }[]
  readonly touchedImages: ReadonlySet<number>
}

// Large enough that a 100,000-instance import is ~50 commits (each one fsync), small enough that a crash
// loses little and progress moves.
const BATCH = 2000

/**
 * Where imported instances go: masks are encoded, categories resolved by name (creating missing ones),
 * and rows written in batches of whole images, one transaction each, as accepted human annotations. A
 * dry run resolves and checks everything the same way but writes nothing.
 */
export class ImportSink {
  private pending: { instance: IncomingInstance; rle: { size: [number, number]; counts: string }; area: number; bbox: [number, number, number, number] }[] = []
  private readonly names = new Map<string, { id: number; name: string } | null>()
  private imported = 0
  private duplicates = 0
  private readonly created: string[] = []
  private readonly merged: { from: string; to: string }[] = []
  private readonly touched = new Set<number>()

  constructor(
    private readonly store: ProjectStore,
    private readonly dryRun: boolean
  ) {}

  /** Queues an instance; answers false (and queues nothing) when its mask covers no pixel. */
  add(instance: IncomingInstance): boolean {
    const pixels = area(instance.runs)
    if (pixels === 0) return false
    const rle = compress(instance.runs)
    this.pending.push({ instance, rle: { size: [rle.size[0], rle.size[1]], counts: rle.counts }, area: pixels, bbox: toBbox(instance.runs) })
    return true
  }

  /** Call after each image: writes the queue once it holds a batch. */
  endImage(): void {
    if (this.pending.length >= BATCH) this.flush()
  }

  /** Writes whatever is queued. */
  flush(): void {
    if (this.pending.length === 0) return
    const batch = this.pending
    this.pending = []
    const unknown = new Map<string, string | null>()
    for (const { instance } of batch) {
      if (!this.names.has(instance.category) && !unknown.has(instance.category)) unknown.set(instance.category, instance.supercategory ?? null)
    }
    if (unknown.size > 0) {
      const entries = [...unknown].map(([name, supercategory]) => ({ name, supercategory }))
      const resolved = this.store.resolveCategories(entries, !this.dryRun)
      for (const [name, category] of resolved) {
        if (category === undefined) {
          // Dry run: the category would be created; a negative id stands for it until then.
          this.created.push(name)
          this.names.set(name, { id: -this.created.length, name })
          continue
        }
        this.names.set(name, category)
        if (category.via === 'created') this.created.push(name)
        else if (category.name !== name) this.merged.push({ from: name, to: category.name })
      }
    }
    const rows: ImportedInstance[] = batch.map(({ instance, rle, area, bbox }) => {
      const category = this.names.get(instance.category)!
      return {
        imageId: instance.imageId,
        rle,
        bbox,
        area,
        categoryText: category.name,
        categoryId: category.id,
        status: 'accepted',
        source: 'human'
      }
    })
    const result = this.store.insertImportedInstances(rows, !this.dryRun)
    this.imported += result.inserted
    this.duplicates += result.duplicates
    if (!this.dryRun) for (const row of rows) this.touched.add(row.imageId)
  }

  /** Totals so far. */
  totals(): SinkTotals {
    return {
      imported: this.imported,
      duplicates: this.duplicates,
      categoriesCreated: [...this.created],
      categoriesMerged: [...this.merged],
      touchedImages: this.touched
    }
  }
}
