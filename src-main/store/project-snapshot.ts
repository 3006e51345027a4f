import { DatabaseSync, type SQLInputValue } from 'node:sqlite'
import type { CategoryValue, ImageStatusValue, InstanceStatusValue } from '../../src-preload/contract'

/** An image row as a long read (export) needs it. */
export interface SnapshotImage {
  readonly id: number
  readonly path: string
  /** Width of the oriented frame. */
  readonly width: number
  /** Height of the oriented frame. */
  readonly height: number
  readonly orientation: number
  readonly contentHash: string
  readonly format: string
  readonly status: ImageStatusValue
}

/** An instance row as export needs it: the mask's compressed counts and the category fields. */
export interface SnapshotInstance {
  readonly id: number
  readonly imageId: number
  readonly counts: string
  readonly height: number
  readonly width: number
  readonly categoryText: string
  readonly categoryId: number | null
  readonly score: number | null
  readonly status: InstanceStatusValue
}

/** Which images a read takes: those marked done only, or those with an instance of `statuses` and the done ones. */
export interface ImageFilter {
  readonly statuses: readonly InstanceStatusValue[]
  readonly onlyDone: boolean
}

/**
 * A consistent, read-only view of a project for long reads such as an export. It reads through its own
 * connection inside one read transaction: WAL gives it the state of the moment it started, while the
 * app's connection goes on committing edits, unblocked. Close it when done (an open snapshot keeps WAL
 * checkpoints from completing).
 */
export class ProjectSnapshot {
  private readonly db: DatabaseSync

  /** Opens a snapshot of the database file at `file`. */
  constructor(file: string) {
    this.db = new DatabaseSync(file, { readOnly: true })
    this.db.exec('PRAGMA busy_timeout = 5000')
    this.db.exec('BEGIN')
    // The snapshot starts at the first read, not at BEGIN.
    this.db.prepare('SELECT COUNT(*) FROM images').get()
  }

  /** Every category. */
  categories(): CategoryValue[] {
    const rows = this.db
      .prepare('SELECT id, name, color, supercategory, synonyms FROM categories ORDER BY id')
      .all() as unknown as { id: number; name: string; color: string; supercategory: string | null; synonyms: string }[]
    return rows.map((r) => ({ ...r, synonyms: JSON.parse(r.synonyms) as string[] }))
  }

  /** Number of images the filter takes. */
  countImages(filter: ImageFilter): number {
    const { where, params } = imageWhere(filter)
    return Number((this.db.prepare(`SELECT COUNT(*) AS n FROM images i WHERE ${where}`).get(...params) as { n: number }).n)
  }

  /** Up to `limit` images the filter takes with ids above `afterId`, by id. */
  images(filter: ImageFilter, afterId: number, limit: number): SnapshotImage[] {
    const { where, params } = imageWhere(filter)
    return this.db
      .prepare(
        `SELECT id, path, width, height, orientation, content_hash AS contentHash, format, status FROM images i
         WHERE i.id > ? AND ${where} ORDER BY i.id LIMIT ?`
      )
      .all(afterId, ...params, limit) as unknown as SnapshotImage[]
  }

  /** Instances with one of `statuses` on images `fromImageId`..`toImageId`, by image then id. */
  instances(statuses: readonly InstanceStatusValue[], fromImageId: number, toImageId: number): SnapshotInstance[] {
    return this.db
      .prepare(
        `SELECT id, image_id AS imageId, rle_counts AS counts, rle_height AS height, rle_width AS width,
           category_text AS categoryText, category_id AS categoryId, score, status
         FROM instances WHERE image_id BETWEEN ? AND ? AND +status IN (${marks(statuses)}) ORDER BY image_id, id`
      )
      .all(fromImageId, toImageId, ...statuses) as unknown as SnapshotInstance[]
  }

  /** Distinct (category id, category text) pairs of the instances an export takes, with counts. */
  categoryUsage(filter: ImageFilter): { categoryId: number | null; categoryText: string; count: number }[] {
    const { where, params } = imageWhere(filter)
    return this.db
      .prepare(
        `SELECT n.category_id AS categoryId, n.category_text AS categoryText, COUNT(*) AS count
         FROM instances n JOIN images i ON i.id = n.image_id
         WHERE +n.status IN (${marks(filter.statuses)}) AND ${where}
         GROUP BY n.category_id, n.category_text`
      )
      .all(...filter.statuses, ...params) as unknown as { categoryId: number | null; categoryText: string; count: number }[]
  }

  /** Ends the read transaction and closes the connection. */
  close(): void {
    if (!this.db.isOpen) return
    this.db.exec('COMMIT')
    this.db.close()
  }
}

// Queries filter instance status with `+status`: without statistics SQLite otherwise picks the status
// index, whose one value ('accepted') matches nearly every row, and scans the whole table per image.
function marks(values: readonly unknown[]): string {
  return values.map(() => '?').join(', ')
}

function imageWhere(filter: ImageFilter): { where: string; params: SQLInputValue[] } {
  if (filter.onlyDone) return { where: "i.status = 'done'", params: [] }
  return {
    where: `(i.status = 'done' OR EXISTS (SELECT 1 FROM instances x WHERE x.image_id = i.id AND +x.status IN (${marks(filter.statuses)})))`,
    params: [...filter.statuses]
  }
}
