import { basename, join } from 'node:path'
import type { SQLInputValue } from 'node:sqlite'
import type {
  CategoryValue,
  HistoryStateValue,
  HistoryStepValue,
  ImageDetailValue,
  ImageStatusValue,
  ImageSummaryValue,
  InstanceSourceValue,
  InstanceStatusValue,
  InstanceValue,
  JobInfoValue,
  JobProgressValue,
  JobStateValue,
  ProjectInfoValue,
  SerializedError
} from '../../src-preload/contract'
import { NotFoundError } from '../common/errors'
import { openDatabase, type Database } from './database'
import { categoryColor } from './colors'
import { ProjectSnapshot } from './project-snapshot'

/** Folder inside a project that holds the database and caches. */
export const PROJECT_DATA_DIR = '.rose'

/** An image row to insert, as the import produces it. */
export interface NewImageRow {
  /** Relative to the project root with '/' separators (absolute, '/'-separated, for files outside it). */
  readonly path: string
  /** Width of the oriented frame. */
  readonly width: number
  /** Height of the oriented frame. */
  readonly height: number
  readonly orientation: number
  readonly fileSize: number
  readonly contentHash: string
  readonly format: string
}

/** An instance to create; the mask is already encoded. */
export interface NewInstance {
  readonly imageId: number
  readonly rle: { readonly size: readonly [number, number]; readonly counts: string }
  readonly bbox: readonly [number, number, number, number]
  readonly area: number
  readonly categoryText: string
  readonly score?: number | null
  readonly status: InstanceStatusValue
  readonly source: InstanceSourceValue
  readonly modelVersion?: string | null
}

/** An image as annotation import matches it: where it lives and the frame its masks are in. */
export interface ImageRef {
  readonly id: number
  readonly path: string
  /** Width of the oriented frame. */
  readonly width: number
  /** Height of the oriented frame. */
  readonly height: number
  readonly orientation: number
}

/** A project category a name resolved to, and how it was found. */
export interface ResolvedCategory {
  readonly id: number
  readonly name: string
  readonly via: 'name' | 'synonym' | 'created'
}

/** An imported instance: its category already resolved to a project category. */
export interface ImportedInstance extends NewInstance {
  readonly categoryId: number
}

/** An instance an auto-annotate run proposes for an image. */
export interface AutoInstance {
  readonly rle: { readonly size: readonly [number, number]; readonly counts: string }
  readonly bbox: readonly [number, number, number, number]
  readonly area: number
  readonly categoryText: string
  readonly score: number
  /** The super-patch role of the patch that proposed it. */
  readonly role?: string
  /** That patch's SigLIP-space embedding, for matching names to a taxonomy later. */
  readonly embedding?: Float32Array
}

/** A stored embedding (base64 of little-endian float32) as numbers again; null when none was stored. */
export function decodeEmbedding(text: string | null): Float32Array | null {
  if (text === null) return null
  const bytes = Buffer.from(text, 'base64')
  const out = new Float32Array(bytes.length / 4)
  for (let i = 0; i < out.length; i++) out[i] = bytes.readFloatLE(i * 4)
  return out
}

function encodeEmbedding(embedding: Float32Array): string {
  const bytes = Buffer.alloc(embedding.length * 4)
  embedding.forEach((v, i) => bytes.writeFloatLE(v, i * 4))
  return bytes.toString('base64')
}

/** Fields of an instance a user edit may change. */
export interface InstancePatch {
  readonly categoryText?: string
  readonly status?: InstanceStatusValue
}

interface InstanceRow {
  id: number
  image_id: number
  rle_counts: string
  rle_height: number
  rle_width: number
  bbox_x: number
  bbox_y: number
  bbox_w: number
  bbox_h: number
  area: number
  category_text: string
  category_id: number | null
  score: number | null
  status: InstanceStatusValue
  source: InstanceSourceValue
  model_version: string | null
  created_at: string
  updated_at: string
  role: string | null
  embedding: string | null
}

interface ImageRow {
  id: number
  path: string
  width: number
  height: number
  orientation: number
  file_size: number
  content_hash: string
  format: string
  status: ImageStatusValue
  added_at: string
  instance_count: number
}

interface JobRow {
  id: number
  kind: string
  state: JobStateValue
  progress: string | null
  result: string | null
  error: string | null
  created_at: string
  updated_at: string
}

const INSTANCE_COLUMNS = [
  'id', 'image_id', 'rle_counts', 'rle_height', 'rle_width', 'bbox_x', 'bbox_y', 'bbox_w', 'bbox_h', 'area',
  'category_text', 'category_id', 'score', 'status', 'source', 'model_version', 'created_at', 'updated_at',
  'role', 'embedding'
] as const

const IMAGE_SELECT = `SELECT i.id, i.path, i.width, i.height, i.orientation, i.file_size, i.content_hash, i.format,
  i.status, i.added_at, (SELECT COUNT(*) FROM instances n WHERE n.image_id = i.id AND n.status != 'rejected') AS instance_count
  FROM images i`

// Enough to undo a long session, small enough that the table never dominates the file.
const HISTORY_LIMIT = 2000

const now = (): string => new Date().toISOString()

/**
 * The project's persistent state in `<project>/.rose/project.db`. Every public mutating method is one
 * transaction, so each user action is committed whole or not at all.
 */
export class ProjectStore {
  private constructor(
    readonly root: string,
    private readonly database: Database
  ) {}

  /** Opens the project in `root`, creating its database when it is new. */
  static open(root: string): ProjectStore {
    return new ProjectStore(root, openDatabase(join(root, PROJECT_DATA_DIR, 'project.db')))
  }

  private get db() {
    return this.database.db
  }

  /** Summary of the project for the UI. */
  info(): ProjectInfoValue {
    const count = (sql: string) => Number((this.db.prepare(sql).get() as { n: number }).n)
    return {
      path: this.root,
      name: basename(this.root),
      imageCount: count('SELECT COUNT(*) AS n FROM images'),
      instanceCount: count("SELECT COUNT(*) AS n FROM instances WHERE status != 'rejected'"),
      schemaVersion: this.database.schemaVersion
    }
  }

  // ---- images ----

  /** A page of images in import order, optionally only those with one status. */
  listImages(query: { offset: number; limit: number; status?: ImageStatusValue | undefined }): {
    total: number
    items: ImageSummaryValue[]
  } {
    const where = query.status ? 'WHERE i.status = ?' : ''
    const params: SQLInputValue[] = query.status ? [query.status] : []
    const total = Number((this.db.prepare(`SELECT COUNT(*) AS n FROM images i ${where}`).get(...params) as { n: number }).n)
    const rows = this.db
      .prepare(`${IMAGE_SELECT} ${where} ORDER BY i.id LIMIT ? OFFSET ?`)
      .all(...params, query.limit, query.offset) as unknown as ImageRow[]
    return { total, items: rows.map(toImageSummary) }
  }

  /** One image by id; throws NotFoundError when there is none. */
  getImage(id: number): ImageDetailValue {
    const row = this.db.prepare(`${IMAGE_SELECT} WHERE i.id = ?`).get(id) as unknown as ImageRow | undefined
    if (!row) throw new NotFoundError(`image ${id} does not exist in this project`)
    return {
      ...toImageSummary(row),
      orientation: row.orientation,
      fileSize: row.file_size,
      contentHash: row.content_hash,
      format: row.format,
      addedAt: row.added_at
    }
  }

  /** The image before or after `id` in list order, and the index of the answer (or of `id` at an end). */
  neighbour(id: number, direction: 'previous' | 'next'): { id: number | null; index: number } {
    this.getImage(id)
    const sql =
      direction === 'next'
        ? 'SELECT id FROM images WHERE id > ? ORDER BY id LIMIT 1'
        : 'SELECT id FROM images WHERE id < ? ORDER BY id DESC LIMIT 1'
    const row = this.db.prepare(sql).get(id) as { id: number } | undefined
    const target = row?.id ?? id
    const index = Number((this.db.prepare('SELECT COUNT(*) AS n FROM images WHERE id < ?').get(target) as { n: number }).n)
    return { id: row?.id ?? null, index }
  }

  /** Sets an image's review status. */
  setImageStatus(id: number, status: ImageStatusValue): ImageSummaryValue {
    const changed = this.db.prepare('UPDATE images SET status = ?, updated_at = ? WHERE id = ?').run(status, now(), id)
    if (changed.changes === 0) throw new NotFoundError(`image ${id} does not exist in this project`)
    return this.getImage(id)
  }

  /** The image with this content hash, if the project has one. */
  findByHash(hash: string): { id: number; path: string } | undefined {
    return this.db.prepare('SELECT id, path FROM images WHERE content_hash = ? LIMIT 1').get(hash) as
      | { id: number; path: string }
      | undefined
  }

  /** The image stored at this project path, if any. */
  findByPath(path: string): { id: number; contentHash: string } | undefined {
    return this.db.prepare('SELECT id, content_hash AS contentHash FROM images WHERE path = ?').get(path) as
      | { id: number; contentHash: string }
      | undefined
  }

  /** Inserts imported images in one transaction; returns their ids in order. */
  insertImages(rows: readonly NewImageRow[]): number[] {
    const insert = this.db.prepare(
      `INSERT INTO images (path, width, height, orientation, file_size, content_hash, format, added_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`
    )
    return this.database.transaction(() => {
      const at = now()
      return rows.map(
        (r) =>
          Number(insert.run(r.path, r.width, r.height, r.orientation, r.fileSize, r.contentHash, r.format, at, at).lastInsertRowid)
      )
    })
  }

  // ---- instances ----

  /** All instances of an image, oldest first. */
  listInstances(imageId: number): InstanceValue[] {
    this.getImage(imageId)
    const rows = this.db
      .prepare(`SELECT ${INSTANCE_COLUMNS.join(', ')} FROM instances WHERE image_id = ? ORDER BY id`)
      .all(imageId) as unknown as InstanceRow[]
    return rows.map(toInstance)
  }

  /** One instance; throws NotFoundError when there is none. */
  getInstance(id: number): InstanceValue {
    const row = this.instanceRow(id)
    if (!row) throw new NotFoundError(`instance ${id} does not exist`)
    return toInstance(row)
  }

  /** Creates an instance as one undoable action. */
  createInstance(input: NewInstance, label = 'Create instance'): InstanceValue {
    this.getImage(input.imageId)
    return this.database.transaction(() => {
      const at = now()
      const categoryId = this.ensureCategory(input.categoryText)
      const result = this.db
        .prepare(
          `INSERT INTO instances (image_id, rle_counts, rle_height, rle_width, bbox_x, bbox_y, bbox_w, bbox_h, area,
             category_text, category_id, score, status, source, model_version, created_at, updated_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
        )
        .run(
          input.imageId, input.rle.counts, input.rle.size[0], input.rle.size[1], ...input.bbox, input.area,
          input.categoryText, categoryId, input.score ?? null, input.status, input.source, input.modelVersion ?? null, at, at
        )
      const row = this.instanceRow(Number(result.lastInsertRowid))!
      this.record(label, input.imageId, [], [row])
      return toInstance(row)
    })
  }

  /** Changes an instance's category or status as one undoable action. */
  updateInstance(id: number, patch: InstancePatch): InstanceValue {
    return this.updateInstances([id], patch)[0]!
  }

  /** Changes the category or status of several instances of one image as one undoable action. */
  updateInstances(ids: readonly number[], patch: InstancePatch): InstanceValue[] {
    return this.database.transaction(() => {
      const before = ids.map((id) => {
        const row = this.instanceRow(id)
        if (!row) throw new NotFoundError(`instance ${id} does not exist`)
        return row
      })
      const update = this.db.prepare(
        'UPDATE instances SET category_text = ?, category_id = ?, status = ?, updated_at = ? WHERE id = ?'
      )
      const at = now()
      const categoryId = patch.categoryText !== undefined ? this.ensureCategory(patch.categoryText) : undefined
      for (const row of before) {
        update.run(patch.categoryText ?? row.category_text, categoryId ?? row.category_id, patch.status ?? row.status, at, row.id)
      }
      const after = before.map((row) => this.instanceRow(row.id)!)
      const label = before.length === 1 ? updateLabel(before[0]!, patch) : `${updateLabel(before[0]!, patch)} ×${before.length}`
      this.record(label, before[0]!.image_id, before, after)
      return after.map(toInstance)
    })
  }

  /** Replaces an instance's mask (and optionally its name) as one undoable action, keeping its id. */
  replaceMask(
    id: number,
    mask: Pick<NewInstance, 'rle' | 'bbox' | 'area'> & { readonly score?: number | null },
    patch: { readonly categoryText?: string; readonly source: InstanceSourceValue; readonly status?: InstanceStatusValue }
  ): InstanceValue {
    return this.database.transaction(() => {
      const before = this.instanceRow(id)
      if (!before) throw new NotFoundError(`instance ${id} does not exist`)
      const categoryText = patch.categoryText ?? before.category_text
      const categoryId = patch.categoryText !== undefined ? this.ensureCategory(categoryText) : before.category_id
      this.db
        .prepare(
          `UPDATE instances SET rle_counts = ?, rle_height = ?, rle_width = ?, bbox_x = ?, bbox_y = ?, bbox_w = ?, bbox_h = ?,
             area = ?, category_text = ?, category_id = ?, score = ?, status = ?, source = ?, updated_at = ? WHERE id = ?`
        )
        .run(
          mask.rle.counts, mask.rle.size[0], mask.rle.size[1], ...mask.bbox, mask.area, categoryText, categoryId,
          mask.score === undefined ? before.score : mask.score, patch.status ?? before.status, patch.source, now(), id
        )
      const after = this.instanceRow(id)!
      this.record('Refine instance', before.image_id, [before], [after])
      return toInstance(after)
    })
  }

  /** Deletes instances as one undoable action; returns how many existed. */
  deleteInstances(ids: readonly number[]): number {
    return this.database.transaction(() => {
      const rows = ids.map((id) => this.instanceRow(id)).filter((r): r is InstanceRow => r !== undefined)
      if (rows.length === 0) throw new NotFoundError(`no instance with id ${ids.join(', ')} exists`)
      const del = this.db.prepare('DELETE FROM instances WHERE id = ?')
      for (const row of rows) del.run(row.id)
      this.record(rows.length === 1 ? 'Delete instance' : `Delete ${rows.length} instances`, rows[0]!.image_id, rows, [])
      return rows.length
    })
  }

  // ---- categories ----

  /** Every category, by name. */
  listCategories(): CategoryValue[] {
    const rows = this.db
      .prepare('SELECT id, name, color, supercategory, synonyms FROM categories ORDER BY name COLLATE NOCASE')
      .all() as unknown as { id: number; name: string; color: string; supercategory: string | null; synonyms: string }[]
    return rows.map((r) => ({ ...r, synonyms: JSON.parse(r.synonyms) as string[] }))
  }

  /** The id of the category with this name (case-insensitive), creating it with a stable colour when new. */
  ensureCategory(name: string): number {
    const existing = this.db.prepare('SELECT id FROM categories WHERE name = ?').get(name) as { id: number } | undefined
    if (existing) return existing.id
    const result = this.db
      .prepare('INSERT INTO categories (name, color, created_at) VALUES (?, ?, ?)')
      .run(name, categoryColor(name), now())
    return Number(result.lastInsertRowid)
  }

  // ---- undo / redo ----

  /** What undo and redo would do now. */
  historyState(): HistoryStateValue {
    const undo = this.db.prepare('SELECT label FROM history WHERE undone = 0 ORDER BY id DESC LIMIT 1').get() as
      | { label: string }
      | undefined
    const redo = this.db.prepare('SELECT label FROM history WHERE undone = 1 ORDER BY id LIMIT 1').get() as
      | { label: string }
      | undefined
    return { canUndo: !!undo, canRedo: !!redo, undoLabel: undo?.label ?? null, redoLabel: redo?.label ?? null }
  }

  /** Reverts the newest action that is not undone yet. */
  undo(): HistoryStepValue {
    return this.step('SELECT * FROM history WHERE undone = 0 ORDER BY id DESC LIMIT 1', 'before_json', 1)
  }

  /** Re-applies the oldest undone action. */
  redo(): HistoryStepValue {
    return this.step('SELECT * FROM history WHERE undone = 1 ORDER BY id LIMIT 1', 'after_json', 0)
  }

  private step(select: string, target: 'before_json' | 'after_json', undone: 0 | 1): HistoryStepValue {
    return this.database.transaction(() => {
      const entry = this.db.prepare(select).get() as
        | { id: number; label: string; image_id: number | null; before_json: string; after_json: string }
        | undefined
      if (!entry) return { ...this.historyState(), applied: false, label: null, imageId: null }
      const from = JSON.parse(undone === 1 ? entry.after_json : entry.before_json) as InstanceRow[]
      const to = JSON.parse(entry[target]) as InstanceRow[]
      this.applySnapshot(from, to)
      this.db.prepare('UPDATE history SET undone = ? WHERE id = ?').run(undone, entry.id)
      return { ...this.historyState(), applied: true, label: entry.label, imageId: entry.image_id }
    })
  }

  /** Moves the instances table from the `from` rows to the `to` rows (by id). */
  private applySnapshot(from: readonly InstanceRow[], to: readonly InstanceRow[]): void {
    const keep = new Set(to.map((r) => r.id))
    const del = this.db.prepare('DELETE FROM instances WHERE id = ?')
    for (const row of from) if (!keep.has(row.id)) del.run(row.id)
    const upsert = this.db.prepare(
      `INSERT OR REPLACE INTO instances (${INSTANCE_COLUMNS.join(', ')}) VALUES (${INSTANCE_COLUMNS.map(() => '?').join(', ')})`
    )
    for (const row of to) {
      // A category deleted since the action was recorded must not break undo: fall back to the text.
      const categoryId =
        row.category_id !== null && this.db.prepare('SELECT 1 FROM categories WHERE id = ?').get(row.category_id)
          ? row.category_id
          : null
      // Rows recorded before a column existed (an older schema's history) lack it: it stays empty.
      upsert.run(...INSTANCE_COLUMNS.map((c) => (c === 'category_id' ? categoryId : ((row[c] ?? null) as SQLInputValue))))
    }
  }

  private record(label: string, imageId: number, before: readonly InstanceRow[], after: readonly InstanceRow[]): void {
    // A new action ends the redo branch, as in every editor.
    this.db.exec('DELETE FROM history WHERE undone = 1')
    this.db
      .prepare('INSERT INTO history (label, image_id, before_json, after_json, created_at) VALUES (?, ?, ?, ?, ?)')
      .run(label, imageId, JSON.stringify(before), JSON.stringify(after), now())
    this.db
      .prepare('DELETE FROM history WHERE id <= (SELECT MAX(id) FROM history) - ?')
      .run(HISTORY_LIMIT)
  }

  private instanceRow(id: number): InstanceRow | undefined {
    return this.db.prepare(`SELECT ${INSTANCE_COLUMNS.join(', ')} FROM instances WHERE id = ?`).get(id) as unknown as
      | InstanceRow
      | undefined
  }

  // ---- interop: snapshot reads for export, bulk writes for annotation import ----

  /** A consistent read-only view of the project for a long read such as an export; the caller closes it. */
  openSnapshot(): ProjectSnapshot {
    return new ProjectSnapshot(join(this.root, PROJECT_DATA_DIR, 'project.db'))
  }

  /** Every image's id, path, oriented size and orientation, for matching annotation files to images. */
  imageRefs(): ImageRef[] {
    return this.db.prepare('SELECT id, path, width, height, orientation FROM images ORDER BY id').all() as unknown as ImageRef[]
  }

  /**
   * The project category for each name: the category of that name (case-insensitive), else the category
   * listing it as a synonym. With `create`, the names found neither way become new categories, with the
   * supercategory given; all in one transaction. Keys of the answer are the names as given.
   */
  resolveCategories(
    entries: readonly { readonly name: string; readonly supercategory?: string | null }[],
    create: boolean
  ): Map<string, ResolvedCategory | undefined> {
    return this.database.transaction(() => {
      const rows = this.db.prepare('SELECT id, name, synonyms FROM categories').all() as unknown as {
        id: number
        name: string
        synonyms: string
      }[]
      const byName = new Map(rows.map((r) => [r.name.toLowerCase(), r]))
      const bySynonym = new Map<string, { id: number; name: string }>()
      for (const row of rows) {
        for (const synonym of JSON.parse(row.synonyms) as string[]) {
          const key = synonym.toLowerCase()
          if (!bySynonym.has(key)) bySynonym.set(key, row)
        }
      }
      const insert = this.db.prepare('INSERT INTO categories (name, color, supercategory, created_at) VALUES (?, ?, ?, ?)')
      const out = new Map<string, ResolvedCategory | undefined>()
      for (const { name, supercategory } of entries) {
        if (out.has(name)) continue
        const key = name.toLowerCase()
        const named = byName.get(key)
        const synonym = named ? undefined : bySynonym.get(key)
        if (named) out.set(name, { id: named.id, name: named.name, via: 'name' })
        else if (synonym) out.set(name, { id: synonym.id, name: synonym.name, via: 'synonym' })
        else if (!create) out.set(name, undefined)
        else {
          const id = Number(insert.run(name, categoryColor(name), supercategory ?? null, now()).lastInsertRowid)
          byName.set(key, { id, name, synonyms: '[]' })
          out.set(name, { id, name, via: 'created' })
        }
      }
      return out
    })
  }

  /**
   * Inserts imported instances in one transaction, outside the undo history (an import is a job, not an
   * edit). An instance whose image already has one with the same mask and category is skipped, so running
   * an import again adds nothing. With `write` false (a dry run) it only counts what it would insert.
   */
  insertImportedInstances(rows: readonly ImportedInstance[], write = true): { inserted: number; duplicates: number } {
    return this.database.transaction(() => {
      const existing = this.db.prepare('SELECT category_id AS c, rle_counts AS k FROM instances WHERE image_id = ?')
      const insert = this.db.prepare(
        `INSERT INTO instances (image_id, rle_counts, rle_height, rle_width, bbox_x, bbox_y, bbox_w, bbox_h, area,
           category_text, category_id, score, status, source, model_version, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
      )
      const seen = new Map<number, Set<string>>()
      const at = now()
      let inserted = 0
      let duplicates = 0
      for (const r of rows) {
        let keys = seen.get(r.imageId)
        if (keys === undefined) {
          const present = existing.all(r.imageId) as unknown as { c: number | null; k: string }[]
          keys = new Set(present.map((p) => `${p.c}:${p.k}`))
          seen.set(r.imageId, keys)
        }
        const key = `${r.categoryId}:${r.rle.counts}`
        if (keys.has(key)) {
          duplicates++
          continue
        }
        keys.add(key)
        if (write) insert.run(
          r.imageId, r.rle.counts, r.rle.size[0], r.rle.size[1], ...r.bbox, r.area, r.categoryText, r.categoryId,
          r.score ?? null, r.status, r.source, r.modelVersion ?? null, at, at
        )
        inserted++
      }
      return { inserted, duplicates }
    })
  }

  // ---- auto-annotation ----

  /**
   * The images an auto-annotate run over `selection` still has to do with `modelVersion`, in id order:
   * the given ids (every one must exist), or every image with neither an auto-annotation record nor a
   * model instance; minus the images this version already annotated (`done`).
   */
  autoAnnotateTargets(selection: readonly number[] | 'all-without-proposals', modelVersion: string): { todo: number[]; done: number[] } {
    let ids: number[]
    if (selection === 'all-without-proposals') {
      ids = (
        this.db
          .prepare(
            `SELECT id FROM images i WHERE NOT EXISTS (SELECT 1 FROM auto_annotations a WHERE a.image_id = i.id)
               AND NOT EXISTS (SELECT 1 FROM instances n WHERE n.image_id = i.id AND n.source = 'model') ORDER BY id`
          )
          .all() as { id: number }[]
      ).map((r) => r.id)
      return { todo: ids, done: [] }
    }
    ids = [...new Set(selection)]
    for (const id of ids) this.getImage(id)
    const annotated = new Set(
      (this.db.prepare('SELECT image_id AS id FROM auto_annotations WHERE model_version = ?').all(modelVersion) as { id: number }[]).map((r) => r.id)
    )
    return { todo: ids.filter((id) => !annotated.has(id)), done: ids.filter((id) => annotated.has(id)) }
  }

  /**
   * Stores one image's auto-annotation in one transaction: its instances as proposals of the model
   * (outside the undo history, as imports are), the record that `modelVersion` annotated it, and the
   * image's status `new` → `proposed`. Returns false and writes nothing when that version already
   * annotated the image, so a resumed job cannot store proposals twice.
   */
  saveAutoAnnotation(imageId: number, modelVersion: string, jobId: number | null, instances: readonly AutoInstance[]): { saved: boolean; inserted: number } {
    this.getImage(imageId)
    return this.database.transaction(() => {
      const exists = this.db.prepare('SELECT 1 FROM auto_annotations WHERE image_id = ? AND model_version = ?').get(imageId, modelVersion)
      if (exists) return { saved: false, inserted: 0 }
      const at = now()
      const insert = this.db.prepare(
        `INSERT INTO instances (image_id, rle_counts, rle_height, rle_width, bbox_x, bbox_y, bbox_w, bbox_h, area,
           category_text, category_id, score, status, source, model_version, created_at, updated_at, role, embedding)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'proposed', 'model', ?, ?, ?, ?, ?)`
      )
      for (const inst of instances) {
        insert.run(
          imageId, inst.rle.counts, inst.rle.size[0], inst.rle.size[1], ...inst.bbox, inst.area, inst.categoryText,
          this.ensureCategory(inst.categoryText), inst.score, modelVersion, at, at,
          inst.role ?? null, inst.embedding === undefined ? null : encodeEmbedding(inst.embedding)
        )
      }
      this.db
        .prepare('INSERT INTO auto_annotations (image_id, model_version, job_id, instances, annotated_at) VALUES (?, ?, ?, ?, ?)')
        .run(imageId, modelVersion, jobId, instances.length, at)
      if (instances.length > 0) this.db.prepare("UPDATE images SET status = 'proposed', updated_at = ? WHERE id = ? AND status = 'new'").run(at, imageId)
      return { saved: true, inserted: instances.length }
    })
  }

  /** What the model said about an instance beyond mask and name (null for instances made otherwise). */
  modelOutputs(instanceId: number): { role: string | null; embedding: Float32Array | null } {
    const row = this.db.prepare('SELECT role, embedding FROM instances WHERE id = ?').get(instanceId) as { role: string | null; embedding: string | null } | undefined
    if (!row) throw new NotFoundError(`instance ${instanceId} does not exist`)
    return { role: row.role, embedding: decodeEmbedding(row.embedding) }
  }

  // ---- model packs ----

  /** Records the model pack this project uses (the `models` table): inserted or updated, the only active one. */
  recordActiveModel(pack: { readonly name: string; readonly version: string; readonly path: string; readonly metrics: unknown }): void {
    this.database.transaction(() => {
      const at = now()
      this.db.prepare('UPDATE models SET active = 0 WHERE active = 1').run()
      this.db
        .prepare(
          `INSERT INTO models (name, version, path, metrics, active, created_at) VALUES (?, ?, ?, ?, 1, ?)
           ON CONFLICT (name, version) DO UPDATE SET path = excluded.path, metrics = excluded.metrics, active = 1`
        )
        .run(pack.name, pack.version, pack.path, pack.metrics === null || pack.metrics === undefined ? null : JSON.stringify(pack.metrics), at)
    })
  }

  /** The model pack this project last activated, if any. */
  activeModel(): { name: string; version: string } | undefined {
    return this.db.prepare('SELECT name, version FROM models WHERE active = 1').get() as { name: string; version: string } | undefined
  }

  // ---- jobs ----

  /** Records a new job in the queued state; returns its id. */
  createJob(kind: string, params: unknown): number {
    const at = now()
    const result = this.db
      .prepare("INSERT INTO jobs (kind, state, params, created_at, updated_at) VALUES (?, 'queued', ?, ?, ?)")
      .run(kind, JSON.stringify(params ?? {}), at, at)
    return Number(result.lastInsertRowid)
  }

  /** Updates a job's state and, where given, its progress, result or error. */
  updateJob(
    id: number,
    update: { state?: JobStateValue; progress?: JobProgressValue | undefined; result?: unknown; error?: SerializedError }
  ): JobInfoValue {
    const sets: string[] = ['updated_at = ?']
    const values: SQLInputValue[] = [now()]
    if (update.state) sets.push('state = ?'), values.push(update.state)
    if (update.progress) sets.push('progress = ?'), values.push(JSON.stringify(update.progress))
    if (update.result !== undefined) sets.push('result = ?'), values.push(JSON.stringify(update.result))
    if (update.error) sets.push('error = ?'), values.push(JSON.stringify(update.error))
    this.db.prepare(`UPDATE jobs SET ${sets.join(', ')} WHERE id = ?`).run(...values, id)
    return this.getJob(id)
  }

  /** One job; throws NotFoundError when there is none. */
  getJob(id: number): JobInfoValue {
    const row = this.db.prepare('SELECT * FROM jobs WHERE id = ?').get(id) as unknown as JobRow | undefined
    if (!row) throw new NotFoundError(`job ${id} does not exist`)
    return toJob(row)
  }

  /** The newest jobs first. */
  listJobs(limit = 50): JobInfoValue[] {
    const rows = this.db.prepare('SELECT * FROM jobs ORDER BY id DESC LIMIT ?').all(limit) as unknown as JobRow[]
    return rows.map(toJob)
  }

  /** Interrupted jobs of a kind that no later job has resumed yet, oldest first, with their params. */
  jobsToResume(kind: string): { id: number; params: unknown }[] {
    const rows = this.db
      .prepare("SELECT id, params FROM jobs WHERE kind = ? AND state = 'interrupted' AND result IS NULL ORDER BY id")
      .all(kind) as { id: number; params: string }[]
    return rows.map((r) => ({ id: r.id, params: JSON.parse(r.params) as unknown }))
  }

  /** Marks jobs that were running when the app last stopped as interrupted; returns their ids. */
  markInterruptedJobs(): number[] {
    const rows = this.db.prepare("SELECT id FROM jobs WHERE state IN ('queued', 'running')").all() as { id: number }[]
    this.db.prepare("UPDATE jobs SET state = 'interrupted', updated_at = ? WHERE state IN ('queued', 'running')").run(now())
    return rows.map((r) => r.id)
  }

  /** Runs a consistency check of the database file; 'ok' when it is sound. */
  integrityCheck(): string {
    return (this.db.prepare('PRAGMA integrity_check').get() as { integrity_check: string }).integrity_check
  }

  /** Closes the database. */
  close(): void {
    this.database.close()
  }
}

function toImageSummary(row: ImageRow): ImageSummaryValue {
  return {
    id: row.id,
    path: row.path,
    width: row.width,
    height: row.height,
    status: row.status,
    instanceCount: Number(row.instance_count)
  }
}

function toInstance(row: InstanceRow): InstanceValue {
  return {
    id: row.id,
    imageId: row.image_id,
    rle: { size: [row.rle_height, row.rle_width], counts: row.rle_counts },
    bbox: [row.bbox_x, row.bbox_y, row.bbox_w, row.bbox_h],
    area: row.area,
    categoryText: row.category_text,
    categoryId: row.category_id,
    score: row.score,
    status: row.status,
    source: row.source,
    modelVersion: row.model_version,
    createdAt: row.created_at,
    updatedAt: row.updated_at
  }
}

function toJob(row: JobRow): JobInfoValue {
  const parse = (text: string | null) => (text === null ? null : JSON.parse(text))
  return {
    id: row.id,
    kind: row.kind,
    state: row.state,
    progress: parse(row.progress),
    result: parse(row.result),
    error: parse(row.error),
    createdAt: row.created_at,
    updatedAt: row.updated_at
  }
}

function updateLabel(before: InstanceRow, patch: InstancePatch): string {
  if (patch.status && patch.status !== before.status) {
    const verb = { accepted: 'Accept', rejected: 'Reject', proposed: 'Reopen' }[patch.status]
    return patch.categoryText !== undefined ? `${verb} and rename instance` : `${verb} instance`
  }
  return `Rename instance to "${patch.categoryText ?? before.category_text}"`
}
