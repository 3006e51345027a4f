import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { DatabaseSync } from 'node:sqlite'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { runExport } from '../../../src-main/interop/export-job'
import { previewExport } from '../../../src-main/interop/export-preview'
import { splitSide } from '../../../src-main/interop/dataset-split'
import { compress } from '../../../src-main/masks/rle'
import { ExportOptions, type RequestOf } from '../../../src-preload/contract'
import { cocoViolations, type CocoFile } from './coco-conformance'
import { addImage, addMask, ellipses, makeProject, makeTempDir, rect, type TestProject } from './project-factory'

type Options = RequestOf<'export:start'>['options']
const noProgress = () => {}
const exportTo = (project: TestProject, options: Options, destination: string, signal?: AbortSignal) =>
  runExport(project.store, ExportOptions.parse(options), destination, noProgress, signal)
const readCoco = (path: string) => JSON.parse(readFileSync(path, 'utf8')) as CocoFile

describe('COCO export', () => {
  let project: TestProject
  let out: { path: string; dispose(): Promise<void> }
  let ids: { a: number; b: number; c: number; d: number; donut: number; pair: number; proposal: number; kitty: number }

  beforeEach(async () => {
    project = await makeProject()
    out = await makeTempDir()
    const a = await addImage(project, 'photos/a.png', 64, 48, { status: 'done' })
    const b = await addImage(project, 'photos/b.png', 40, 30)
    const c = await addImage(project, 'photos/empty.png', 20, 10, { status: 'done' })
    const d = await addImage(project, 'photos/unreviewed.png', 20, 10)
    const donut = addMask(project, a, ellipses(48, 64, [{ cx: 20, cy: 20, rx: 14, ry: 12 }, { cx: 20, cy: 20, rx: 5, ry: 4, hole: true }]), 48, 64, 'cat')
    const pair = addMask(project, a, ellipses(48, 64, [{ cx: 50, cy: 10, rx: 6, ry: 5 }, { cx: 50, cy: 38, rx: 7, ry: 6 }]), 48, 64, 'dog')
    const proposal = addMask(project, a, rect(48, 64, 40, 20, 10, 8), 48, 64, 'cat', { status: 'proposed', score: 0.8 })
    const kitty = addMask(project, b, rect(30, 40, 0, 0, 40, 30), 30, 40, 'kitty')
    addMask(project, d, rect(10, 20, 1, 1, 3, 3), 10, 20, 'cat', { status: 'rejected' })
    ids = { a, b, c, d, donut, pair, proposal, kitty }
    // The taxonomy says "kitty" is a synonym of "cat".
    const db = new DatabaseSync(join(project.root, '.rose', 'project.db'))
    db.prepare('UPDATE categories SET synonyms = ?, supercategory = ? WHERE name = ?').run('["kitty"]', 'animal', 'cat')
    db.close()
  })
  afterEach(async () => {
    await project.dispose()
    await out.dispose()
  })

  it('writes accepted instances as compressed RLE that passes every conformance check', async () => {
    const report = await exportTo(project, { format: 'coco' }, out.path)
    const coco = readCoco(join(out.path, 'instances.json'))
    expect(cocoViolations(coco)).toEqual([])
    expect(report).toMatchObject({ format: 'coco', files: ['instances.json'], images: 3, instances: 3, categories: 2, skipped: [] })
    // Images with accepted work and done images; not the unreviewed one whose only instance is rejected.
    expect(coco.images.map((i) => [i.id, i.file_name, i.width, i.height])).toEqual([
      [ids.a, 'photos/a.png', 64, 48],
      [ids.b, 'photos/b.png', 40, 30],
      [ids.c, 'photos/empty.png', 20, 10]
    ])
    expect(coco.annotations.map((a) => [a.id, a.image_id, a.iscrowd, 'score' in a])).toEqual([
      [ids.donut, ids.a, 0, false],
      [ids.pair, ids.a, 0, false],
      [ids.kitty, ids.b, 0, false]
    ])
    expect(coco.annotations[2]!.bbox).toEqual([0, 0, 40, 30])
    expect(coco.annotations[2]!.area).toBe(1200)
    expect(existsSync(join(out.path, 'results.json'))).toBe(false)
  })

  it('uses the project category ids (1-based, stable) and merges synonyms into their category', async () => {
    await exportTo(project, { format: 'coco' }, out.path)
    const coco = readCoco(join(out.path, 'instances.json'))
    const cats = project.store.listCategories()
    const id = (name: string) => cats.find((c) => c.name === name)!.id
    expect(coco.categories).toEqual([
      { id: id('cat'), name: 'cat', supercategory: 'animal', synonyms: ['kitty'] },
      { id: id('dog'), name: 'dog', supercategory: '' }
    ])
    expect(id('cat')).toBe(1)
    expect(coco.annotations.find((a) => a.id === ids.kitty)!.category_id).toBe(id('cat'))
    // A second export, after a new category appeared, keeps every id.
    addMask(project, ids.b, rect(30, 40, 1, 1, 2, 2), 30, 40, 'bird')
    await exportTo(project, { format: 'coco' }, out.path)
    const again = readCoco(join(out.path, 'instances.json'))
    expect(again.categories.slice(0, 2).map((c) => c.id)).toEqual([id('cat'), id('dog')])
    const bird = project.store.listCategories().find((c) => c.name === 'bird')!
    expect(again.categories[2]).toMatchObject({ id: bird.id, name: 'bird' })
    expect(bird.id).toBe(4) // after cat, dog and kitty
  })

  it('includes proposed instances with their score when asked, and writes a results file of the proposals', async () => {
    const report = await exportTo(project, { format: 'coco', statuses: ['accepted', 'proposed'], resultsFile: true }, out.path)
    expect(report.files).toEqual(['instances.json', 'results.json'])
    const coco = readCoco(join(out.path, 'instances.json'))
    expect(cocoViolations(coco)).toEqual([])
    expect(coco.annotations.find((a) => a.id === ids.proposal)).toMatchObject({ score: 0.8, iscrowd: 0, area: 80, bbox: [40, 20, 10, 8] })
    const results = JSON.parse(readFileSync(join(out.path, 'results.json'), 'utf8')) as Record<string, unknown>[]
    expect(results).toHaveLength(1)
    expect(results[0]).toMatchObject({ image_id: ids.a, category_id: 1, score: 0.8, bbox: [40, 20, 10, 8] })
    expect((results[0]!.segmentation as { size: number[] }).size).toEqual([48, 64])
  })

  it('writes a results file of proposals even when only accepted instances are exported', async () => {
    await exportTo(project, { format: 'coco', resultsFile: true }, out.path)
    const coco = readCoco(join(out.path, 'instances.json'))
    expect(coco.annotations.some((a) => a.id === ids.proposal)).toBe(false)
    const results = JSON.parse(readFileSync(join(out.path, 'results.json'), 'utf8')) as unknown[]
    expect(results).toHaveLength(1)
  })

  it('takes only images marked done when asked', async () => {
    const report = await exportTo(project, { format: 'coco', onlyDoneImages: true }, out.path)
    const coco = readCoco(join(out.path, 'instances.json'))
    expect(coco.images.map((i) => i.id)).toEqual([ids.a, ids.c])
    expect(report.instances).toBe(2)
  })

  it('splits by image with a seed, the same way every time, into two conforming files', async () => {
    for (let i = 0; i < 20; i++) {
      const id = await addImage(project, `more/${i}.png`, 16, 12)
      addMask(project, id, rect(12, 16, 2, 2, 5, 4), 12, 16, 'dog')
    }
    const split = { valFraction: 0.3, seed: 7 }
    const report = await exportTo(project, { format: 'coco', split }, out.path)
    expect(report.files).toEqual(['instances_train.json', 'instances_val.json'])
    const train = readCoco(join(out.path, 'instances_train.json'))
    const val = readCoco(join(out.path, 'instances_val.json'))
    expect(cocoViolations(train)).toEqual([])
    expect(cocoViolations(val)).toEqual([])
    expect(train.images.length + val.images.length).toBe(23)
    expect(val.images.length).toBeGreaterThan(2)
    expect(val.images.length).toBeLessThan(13)
    expect(train.categories).toEqual(val.categories)
    const first = val.images.map((i) => i.id)
    await exportTo(project, { format: 'coco', split }, out.path)
    expect(readCoco(join(out.path, 'instances_val.json')).images.map((i) => i.id)).toEqual(first)
    expect(splitSide('abc', 7, 0.3)).toBe(splitSide('abc', 7, 0.3))
  })

  it('writes polygons that pycocotools rasterises to exactly the stored masks, holes included', async () => {
    const report = await exportTo(project, { format: 'coco', segmentation: 'polygon' }, out.path)
    const coco = readCoco(join(out.path, 'instances.json'))
    expect(cocoViolations(coco)).toEqual([])
    expect(report.polygons).toEqual({ instancesWithHoles: 1, holesDropped: 0, inexact: 0, minIou: 1, meanIou: 1 })
    const pair = coco.annotations.find((a) => a.id === ids.pair)!
    expect(pair.segmentation).toHaveLength(2)
  })

  it('reports holes dropped and how much simplified polygons lose', async () => {
    const report = await exportTo(project, { format: 'coco', segmentation: 'polygon', polygonHoles: 'drop', polygonTolerance: 1.5 }, out.path)
    // The two ellipse instances lose pixels; the full-image rectangle simplifies to itself.
    expect(report.polygons).toMatchObject({ instancesWithHoles: 1, holesDropped: 1, inexact: 2 })
    expect(report.polygons!.minIou).toBeGreaterThan(0.8)
    expect(report.polygons!.minIou).toBeLessThan(1)
  })

  it('leaves instances with a mask of the wrong size or an empty mask out, naming them', async () => {
    const db = new DatabaseSync(join(project.root, '.rose', 'project.db'))
    db.prepare('UPDATE instances SET rle_height = 47 WHERE id = ?').run(ids.pair)
    const empty = compress({ size: [48, 64], counts: Uint32Array.of(48 * 64) }).counts
    db.prepare('UPDATE instances SET rle_counts = ? WHERE id = ?').run(empty, ids.donut)
    db.close()
    const report = await exportTo(project, { format: 'coco' }, out.path)
    expect(report.skipped).toEqual([
      { item: `instance ${ids.donut} on image ${ids.a} (photos/a.png)`, reason: 'mask is empty' },
      { item: `instance ${ids.pair} on image ${ids.a} (photos/a.png)`, reason: 'mask is 64x47 (width x height) but the image is 64x48' }
    ])
    expect(report.instances).toBe(1)
    expect(cocoViolations(readCoco(join(out.path, 'instances.json')))).toEqual([])
  })

  it('leaves no file behind, not even a temporary one, when cancelled', async () => {
    const controller = new AbortController()
    controller.abort()
    await expect(exportTo(project, { format: 'coco' }, out.path, controller.signal)).rejects.toThrow('Cancelled')
    expect(readdirSync(out.path)).toEqual([])
  })

  it('previews the counts the export dialog shows', async () => {
    const preview = await previewExport(project.store, ExportOptions.parse({ format: 'coco', statuses: ['accepted', 'proposed'], split: { valFraction: 0.5, seed: 1 } }))
    expect(preview).toMatchObject({
      images: 3,
      instances: 4,
      categories: 2,
      byStatus: { accepted: 3, proposed: 1 },
      instancesWithHoles: 1,
      instancesWithSeveralParts: 1,
      imagesWithExifRotation: 0,
      imagesOutsideRoot: 0,
      warnings: []
    })
    expect(preview.split!.train.images + preview.split!.val.images).toBe(3)
    expect(preview.split!.train.instances + preview.split!.val.instances).toBe(4)
  })

  it('names image files relative to the chosen image root', async () => {
    await exportTo(project, { format: 'coco', imageRoot: 'photos' }, out.path)
    expect(readCoco(join(out.path, 'instances.json')).images.map((i) => i.file_name)).toEqual(['a.png', 'b.png', 'empty.png'])
    const report = await exportTo(project, { format: 'coco', imageRoot: join(project.root, 'elsewhere') }, out.path)
    expect(readCoco(join(out.path, 'instances.json')).images[0]!.file_name).toBe('../photos/a.png')
    expect(report.warnings).toEqual(['3 image(s) lie outside the image root: their file names start with ../'])
  })
})
