// A project made by an older version of the app: opening it migrates the schema, keeps the data, and
// the undo history recorded before the upgrade still works; instance ids are never handed out twice.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DatabaseSync } from 'node:sqlite'
import { afterEach, describe, expect, it } from 'vitest'
import { MIGRATIONS } from '../../../src-main/store/migrations'
import { ProjectStore } from '../../../src-main/store/project-store'

const dirs: string[] = []
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
})

const at = '2026-11-01T10:00:00.000Z'

/** A project database at schema version 2, as the app wrote it before migration 3: three instances, the third deleted with its undo entry. */
function version2Project(): string {
  const dir = mkdtempSync(join(tmpdir(), 'rose-upgrade-'))
  dirs.push(dir)
  mkdirSync(join(dir, '.rose'))
  const db = new DatabaseSync(join(dir, '.rose', 'project.db'))
  db.exec(MIGRATIONS[0]!)
  db.exec(MIGRATIONS[1]!)
  db.exec('PRAGMA user_version = 2')
  db.prepare("INSERT INTO images (id, path, width, height, orientation, file_size, content_hash, format, status, added_at, updated_at) VALUES (1, 'a.png', 40, 30, 1, 10, 'h', 'png', 'new', ?, ?)").run(at, at)
  const insert = db.prepare(
    `INSERT INTO instances (id, image_id, rle_counts, rle_height, rle_width, bbox_x, bbox_y, bbox_w, bbox_h, area, category_text, category_id, score, status, source, model_version, created_at, updated_at)
     VALUES (?, 1, 'Z11', 30, 40, 1, 2, 3, 4, 12, ?, NULL, NULL, 'accepted', 'human', NULL, ?, ?)`
  )
  for (const [id, name] of [[1, 'cat'], [2, 'dog'], [3, 'bird']] as const) insert.run(id, name, at, at)
  const deleted = db.prepare('SELECT * FROM instances WHERE id = 3').get()
  db.prepare('DELETE FROM instances WHERE id = 3').run()
  db.prepare("INSERT INTO history (label, image_id, before_json, after_json, created_at) VALUES ('Delete bird', 1, ?, '[]', ?)").run(JSON.stringify([deleted]), at)
  db.close()
  return dir
}

describe('upgrading a project from schema version 2', () => {
  it('keeps the instances, undoes the delete recorded before the upgrade, and never reuses its id', () => {
    const dir = version2Project()
    const store = ProjectStore.open(dir)
    try {
      expect(store.info().schemaVersion).toBe(MIGRATIONS.length)
      expect(store.listInstances(1).map((i) => [i.id, i.categoryText])).toEqual([[1, 'cat'], [2, 'dog']])
      expect(store.integrityCheck()).toBe('ok')
      // A proposal stored now (outside the undo history) must not take id 3, which the history still holds.
      const saved = store.saveAutoAnnotation(1, 'rose-tiny@1.0.0', null, [
        { rle: { size: [30, 40], counts: 'Z11' }, bbox: [1, 2, 3, 4], area: 12, categoryText: 'fish', score: 0.9, role: 'small', embedding: Float32Array.of(0.5, -0.25) }
      ])
      expect(saved).toEqual({ saved: true, inserted: 1 })
      const fish = store.listInstances(1).find((i) => i.categoryText === 'fish')!
      expect(fish.id).toBe(4)
      const undone = store.undo()
      expect(undone).toMatchObject({ applied: true, label: 'Delete bird' })
      expect(store.listInstances(1).map((i) => [i.id, i.categoryText])).toEqual([[1, 'cat'], [2, 'dog'], [3, 'bird'], [4, 'fish']])
      expect(store.modelOutputs(3)).toEqual({ role: null, embedding: null })
      expect(store.modelOutputs(4)).toEqual({ role: 'small', embedding: Float32Array.of(0.5, -0.25) })
    } finally {
      store.close()
    }
  })

  it('refuses a database from a newer version of the app, naming both versions', () => {
    const dir = version2Project()
    const db = new DatabaseSync(join(dir, '.rose', 'project.db'))
    db.exec(`PRAGMA user_version = ${MIGRATIONS.length + 1}`)
    db.close()
    expect(() => ProjectStore.open(dir)).toThrow(
      `project database has schema version ${MIGRATIONS.length + 1}, newer than this app supports (${MIGRATIONS.length}); update ROSE Studio`
    )
  })
})

describe('instance ids', () => {
  it('are not reused after the newest instance is deleted, so undoing the delete cannot overwrite a newer one', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rose-ids-'))
    dirs.push(dir)
    const store = ProjectStore.open(dir)
    try {
      const [imageId] = store.insertImages([{ path: 'a.png', width: 40, height: 30, orientation: 1, fileSize: 1, contentHash: 'h', format: 'png' }])
      const drawn = store.createInstance({ imageId: imageId!, rle: { size: [30, 40], counts: 'Z11' }, bbox: [1, 2, 3, 4], area: 12, categoryText: 'cat', status: 'accepted', source: 'human' })
      store.deleteInstances([drawn.id])
      store.saveAutoAnnotation(imageId!, 'rose-tiny@1.0.0', null, [{ rle: { size: [30, 40], counts: 'Z11' }, bbox: [1, 2, 3, 4], area: 12, categoryText: 'proposal', score: 0.9 }])
      const proposal = store.listInstances(imageId!)[0]!
      expect(proposal.id).toBeGreaterThan(drawn.id)
      store.undo()
      expect(store.listInstances(imageId!).map((i) => i.categoryText).sort()).toEqual(['cat', 'proposal'])
      store.redo()
      expect(store.listInstances(imageId!).map((i) => i.categoryText)).toEqual(['proposal'])
    } finally {
      store.close()
    }
  })
})
