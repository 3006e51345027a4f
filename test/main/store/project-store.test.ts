import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { NotFoundError } from '../../../src-main/common/errors'
import { ProjectStore, type NewInstance } from '../../../src-main/store/project-store'
import { MIGRATIONS } from '../../../src-main/store/migrations'

const image = (n: number) => ({
  path: `img/${n}.png`,
  width: 40,
  height: 30,
  orientation: 1,
  fileSize: 1000 + n,
  contentHash: `hash-${n}`,
  format: 'png'
})

const instance = (imageId: number, categoryText = 'red circle'): NewInstance => ({
  imageId,
  rle: { size: [30, 40], counts: 'Z11' },
  bbox: [1, 2, 3, 4],
  area: 12,
  categoryText,
  status: 'accepted',
  source: 'human'
})

describe('ProjectStore', () => {
  let dir: string
  let store: ProjectStore

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'rose-store-'))
    store = ProjectStore.open(dir)
  })
  afterEach(() => {
    store.close()
    rmSync(dir, { recursive: true, force: true })
  })

  it('creates the database in .rose with WAL journaling and the current schema', () => {
    const info = store.info()
    expect(info).toMatchObject({ path: dir, imageCount: 0, instanceCount: 0, schemaVersion: MIGRATIONS.length })
    const reopened = ProjectStore.open(dir)
    expect(reopened.integrityCheck()).toBe('ok')
    reopened.close()
  })

  it('lists images in pages with totals and per-image instance counts', () => {
    const ids = store.insertImages([1, 2, 3, 4, 5].map(image))
    expect(ids).toEqual([1, 2, 3, 4, 5])
    store.createInstance(instance(2))
    store.createInstance(instance(2))
    const page = store.listImages({ offset: 1, limit: 2 })
    expect(page.total).toBe(5)
    expect(page.items.map((i) => [i.id, i.instanceCount])).toEqual([
      [2, 2],
      [3, 0]
    ])
    store.setImageStatus(3, 'done')
    expect(store.listImages({ offset: 0, limit: 10, status: 'done' }).items.map((i) => i.id)).toEqual([3])
  })

  it('finds neighbours in list order and stays put at either end', () => {
    store.insertImages([1, 2, 3].map(image))
    expect(store.neighbour(2, 'next')).toEqual({ id: 3, index: 2 })
    expect(store.neighbour(2, 'previous')).toEqual({ id: 1, index: 0 })
    expect(store.neighbour(3, 'next')).toEqual({ id: null, index: 2 })
  })

  it('rolls back a batch of images when one row violates the schema', () => {
    store.insertImages([image(1)])
    expect(() => store.insertImages([image(2), image(1)])).toThrow(/UNIQUE constraint failed: images.path/)
    expect(store.info().imageCount).toBe(1)
  })

  it('links instances to categories by name, case-insensitively, with a stable colour', () => {
    store.insertImages([image(1)])
    const a = store.createInstance(instance(1, 'Red Circle'))
    const b = store.createInstance(instance(1, 'red circle'))
    expect(a.categoryId).toBe(b.categoryId)
    const categories = store.listCategories()
    expect(categories).toHaveLength(1)
    expect(categories[0]).toMatchObject({ name: 'Red Circle', synonyms: [] })
    expect(categories[0]!.color).toMatch(/^#[0-9a-f]{6}$/)
  })

  it('undoes and redoes create, update and delete, surviving a reopen', () => {
    store.insertImages([image(1)])
    const created = store.createInstance(instance(1))
    store.updateInstance(created.id, { categoryText: 'blue square', status: 'rejected' })
    store.deleteInstances([created.id])
    expect(store.listInstances(1)).toEqual([])
    expect(store.historyState()).toEqual({ canUndo: true, canRedo: false, undoLabel: 'Delete instance', redoLabel: null })

    store.close()
    store = ProjectStore.open(dir)

    const step = store.undo()
    expect(step).toMatchObject({ applied: true, label: 'Delete instance', imageId: 1 })
    expect(store.listInstances(1)).toMatchObject([{ id: created.id, categoryText: 'blue square', status: 'rejected' }])
    store.undo()
    expect(store.listInstances(1)).toMatchObject([{ id: created.id, categoryText: 'red circle', status: 'accepted' }])
    store.undo()
    expect(store.listInstances(1)).toEqual([])
    expect(store.undo()).toMatchObject({ applied: false, canUndo: false, canRedo: true })

    store.redo()
    expect(store.listInstances(1)).toEqual([created])
    expect(store.historyState().redoLabel).toBe('Reject and rename instance')
  })

  it('accepts several instances as one undoable action', () => {
    store.insertImages([image(1)])
    const ids = ['a', 'b', 'c'].map((name) => store.createInstance({ ...instance(1, name), status: 'proposed', source: 'model' }).id)
    const updated = store.updateInstances(ids.slice(0, 2), { status: 'accepted' })
    expect(updated.map((i) => i.status)).toEqual(['accepted', 'accepted'])
    expect(store.historyState().undoLabel).toBe('Accept instance ×2')
    store.undo()
    expect(store.listInstances(1).map((i) => i.status)).toEqual(['proposed', 'proposed', 'proposed'])
    expect(() => store.updateInstances([ids[0]!, 99], { status: 'rejected' })).toThrow('instance 99 does not exist')
    expect(store.listInstances(1).map((i) => i.status)).toEqual(['proposed', 'proposed', 'proposed'])
  })

  it('replaces a mask in place, keeping the id, and undo brings the old mask back', () => {
    store.insertImages([image(1)])
    const original = store.createInstance({ ...instance(1, 'red circle'), score: 0.5, status: 'proposed', source: 'model' })
    const refined = store.replaceMask(
      original.id,
      { rle: { size: [30, 40], counts: 'X33' }, bbox: [5, 6, 7, 8], area: 20, score: 0.9 },
      { source: 'refined', categoryText: 'red square' }
    )
    expect(refined).toMatchObject({
      id: original.id,
      rle: { size: [30, 40], counts: 'X33' },
      bbox: [5, 6, 7, 8],
      area: 20,
      score: 0.9,
      source: 'refined',
      status: 'proposed',
      categoryText: 'red square'
    })
    expect(store.historyState().undoLabel).toBe('Refine instance')
    store.undo()
    expect(store.getInstance(original.id)).toEqual(original)
  })

  it('drops the redo branch when a new action follows an undo', () => {
    store.insertImages([image(1)])
    store.createInstance(instance(1, 'a'))
    store.undo()
    store.createInstance(instance(1, 'b'))
    expect(store.historyState()).toMatchObject({ canRedo: false, undoLabel: 'Create instance' })
    expect(store.redo().applied).toBe(false)
    expect(store.listInstances(1).map((i) => i.categoryText)).toEqual(['b'])
  })

  it('EXPECTED FAILURE – names the missing image or instance', () => {
    expect(() => store.getImage(7)).toThrow(NotFoundError)
    expect(() => store.getImage(7)).toThrow('image 7 does not exist in this project')
    expect(() => store.updateInstance(9, { status: 'accepted' })).toThrow('instance 9 does not exist')
    expect(() => store.createInstance(instance(3))).toThrow('image 3 does not exist in this project')
  })

  it('records jobs and marks the ones running at shutdown as interrupted', () => {
    const id = store.createJob('import', { paths: ['/x'] })
    store.updateJob(id, { state: 'running' })
    expect(store.markInterruptedJobs()).toEqual([id])
    expect(store.getJob(id).state).toBe('interrupted')
  })
})
