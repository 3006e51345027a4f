import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { DatabaseSync } from 'node:sqlite'
import sharp from 'sharp'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { runExport } from '../../../src-main/interop/export-job'
import { previewExport } from '../../../src-main/interop/export-preview'
import { splitSide } from '../../../src-main/interop/dataset-split'
import type { ProgressUpdate } from '../../../src-main/jobs/job-manager'
import { compress, decodeRowMajor, frPolygons, iou } from '../../../src-main/masks/rle'
import { ExportOptions, type RequestOf } from '../../../src-preload/contract'
import { cocoResultsViolations, cocoViolations, type CocoFile, type CocoResult } from './coco-conformance'
import { addImage, addMask, ellipses, makeProject, makeTempDir, pixelsOf, rect, type TestProject } from './project-factory'

type Options = RequestOf<'export:start'>['options']
const noProgress = () => {}
const exportTo = (project: TestProject, options: Options, destination: string, signal?: AbortSignal) =>
  runExport(project.store, ExportOptions.parse(options), destination, noProgress, signal)
const readCoco = (path: string) => JSON.parse(readFileSync(path, 'utf8')) as CocoFile
const readResults = (path: string) => JSON.parse(readFileSync(path, 'utf8')) as CocoResult[]
type Polygons = number[][]

// The exact texts of exportWarnings (export-preview.ts) the dialog and the report show.
const HOLES_FILLED = '1 instance(s) have holes, which will be filled: polygons with holes dropped'
const YOLO_NEEDS_COPIES =
  'images are not copied: YOLO loaders find labels by replacing /images/ with /labels/ in each image path, so the images must be put under images/train (and images/val) of the export'
const CATEGORY_GONE = '1 instance(s) have a category that no longer exists and will be left out'

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
    const results = readResults(join(out.path, 'results.json'))
    expect(cocoResultsViolations(results, coco)).toEqual([])
    expect(results).toHaveLength(1)
    expect(results[0]).toMatchObject({ image_id: ids.a, category_id: 1, score: 0.8, bbox: [40, 20, 10, 8] })
    expect(results[0]!.segmentation.size).toEqual([48, 64])
    expect(pixelsOf(results[0]!.segmentation)).toEqual(rect(48, 64, 40, 20, 10, 8))
  })

  it('writes a results file of proposals even when only accepted instances are exported', async () => {
    await exportTo(project, { format: 'coco', resultsFile: true }, out.path)
    const coco = readCoco(join(out.path, 'instances.json'))
    expect(coco.annotations.some((a) => a.id === ids.proposal)).toBe(false)
    const results = readResults(join(out.path, 'results.json'))
    // The proposal's image and category are in the instances file even though the proposal is not.
    expect(cocoResultsViolations(results, coco)).toEqual([])
    expect(results.map((r) => [r.image_id, r.category_id, r.score])).toEqual([[ids.a, 1, 0.8]])
  })

  it('takes only images marked done when asked', async () => {
    const report = await exportTo(project, { format: 'coco', onlyDoneImages: true }, out.path)
    const coco = readCoco(join(out.path, 'instances.json'))
    expect(cocoViolations(coco)).toEqual([])
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
    expect(report.warnings).toEqual([]) // holes are cut in, not dropped: nothing to warn about
    // The report's IoU of exact polygons is 1 by construction (polygonsFor never rasterises them), so it
    // proves nothing: rasterise every annotation as annToRLE does and count the pixels that differ.
    const differing = coco.annotations.map((a) => {
      const image = coco.images.find((i) => i.id === a.image_id)!
      const back = decodeRowMajor(frPolygons(a.segmentation as Polygons, image.height, image.width))
      const stored = pixelsOf(project.store.getInstance(a.id).rle)
      return [a.id, back.reduce((n, v, k) => n + (v === stored[k] ? 0 : 1), 0)]
    })
    expect(differing).toEqual([
      [ids.donut, 0],
      [ids.pair, 0],
      [ids.kitty, 0]
    ])
    // The hole is really there: the donut's centre pixel is empty in the rasterised polygon.
    const donut = coco.annotations.find((a) => a.id === ids.donut)!
    expect(decodeRowMajor(frPolygons(donut.segmentation as Polygons, 48, 64))[20 * 64 + 20]).toBe(0)
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
    expect(report.warnings).toEqual([HOLES_FILLED])
    const coco = readCoco(join(out.path, 'instances.json'))
    // bbox and area are the mask's, which the simplified polygons only approximate: checked with the
    // slack the tolerance allows (see CocoCheckOptions). Checked strictly, the approximation shows.
    expect(cocoViolations(coco, { approximatePolygons: { tolerance: 1.5 } })).toEqual([])
    expect(cocoViolations(coco).length).toBeGreaterThan(0)
    // bbox and area still describe the masks exactly, not their approximations.
    for (const a of coco.annotations) {
      const stored = project.store.getInstance(a.id)
      expect([a.id, a.area, a.bbox]).toEqual([a.id, stored.area, stored.bbox])
    }
    // The IoUs the report gives match the polygons rasterised here, independently of the exporter.
    const ious = coco.annotations.map((a) => {
      const stored = project.store.getInstance(a.id).rle
      const back = frPolygons(a.segmentation as Polygons, stored.size[0], stored.size[1])
      return iou([back], [{ size: [stored.size[0], stored.size[1]], counts: stored.counts }], [0])[0]![0]!
    })
    expect(Math.min(...ious)).toBeCloseTo(report.polygons!.minIou!, 12)
    expect(ious.reduce((a, b) => a + b, 0) / ious.length).toBeCloseTo(report.polygons!.meanIou!, 12)
    expect(ious.filter((v) => v < 1)).toHaveLength(2)
  })

  it('writes the mask\'s exact bbox and the filled outline when holes are dropped without simplifying', async () => {
    const report = await exportTo(project, { format: 'coco', segmentation: 'polygon', polygonHoles: 'drop' }, out.path)
    expect(report.polygons).toMatchObject({ instancesWithHoles: 1, holesDropped: 1, inexact: 1 })
    const coco = readCoco(join(out.path, 'instances.json'))
    // Tolerance 0: the outer outline is exact, so the box must be exact; only the donut's area (its
    // mask's, hole excluded) is below its filled polygon's.
    expect(cocoViolations(coco, { approximatePolygons: { tolerance: 0 } })).toEqual([])
    const donut = coco.annotations.find((a) => a.id === ids.donut)!
    const filled = ellipses(48, 64, [{ cx: 20, cy: 20, rx: 14, ry: 12 }])
    expect(decodeRowMajor(frPolygons(donut.segmentation as Polygons, 48, 64))).toEqual(filled)
    expect(donut.area).toBe(project.store.getInstance(ids.donut).area)
    expect(donut.area).toBeLessThan(filled.reduce((n, v) => n + v, 0))
    expect(cocoViolations(coco)).toEqual([`annotation ${ids.donut}: area ${donut.area} but the mask has ${filled.reduce((n, v) => n + v, 0)} pixels`])
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

  it('leaves no file behind, not even a temporary one, when cancelled before it starts', async () => {
    const controller = new AbortController()
    controller.abort()
    await expect(exportTo(project, { format: 'coco' }, out.path, controller.signal)).rejects.toThrow('Cancelled')
    expect(readdirSync(out.path)).toEqual([])
  })

  it('cancelled partway, removes its temporary files and leaves an earlier export byte for byte as it was', async () => {
    // An earlier, complete export: what a cancelled one must not touch.
    const options = { format: 'coco', resultsFile: true } as const
    await exportTo(project, options, out.path)
    const before = { instances: readFileSync(join(out.path, 'instances.json')), results: readFileSync(join(out.path, 'results.json')) }
    // 1000 more images: two pages of the plan (500 images each). Their paths are ~2.5 KB, so the first
    // page alone passes the writer's 1 MiB chunk and is on disk in the temporary file before the first
    // progress report. Rows only: an export without copies never opens the image files.
    const folder = `deep/${'a-long-folder-name/'.repeat(130)}`
    project.store.insertImages(
      Array.from({ length: 1000 }, (_, i) => ({ path: `${folder}${i}.png`, width: 16, height: 12, orientation: 1, fileSize: 1, contentHash: `bulk-${i}`, format: 'png' }))
    )
    const db = new DatabaseSync(join(project.root, '.rose', 'project.db'))
    db.prepare("UPDATE images SET status = 'done' WHERE path LIKE 'deep/%'").run()
    db.close()

    // Cancel from the first progress report. The meter always passes its first report (it throttles only
    // reports that follow another within 100 ms), and the writer reports only after writing a page, so
    // this happens after page 1 whatever the machine's speed; the next page then sees the signal.
    const controller = new AbortController()
    const reports: unknown[] = []
    const progress = (update: ProgressUpdate) => {
      const temporaries = readdirSync(out.path).filter((name) => name.endsWith('.tmp')).sort()
      reports.push({
        done: update.done,
        message: update.message,
        temporaries: temporaries.map((name) => [name.replace(/\.[0-9a-f]{8}\.tmp$/, '.*.tmp'), statSync(join(out.path, name)).size > 0])
      })
      controller.abort()
    }
    await expect(runExport(project.store, ExportOptions.parse(options), out.path, progress, controller.signal)).rejects.toMatchObject({
      name: 'CancellationError',
      code: 'CANCELLED',
      message: 'Cancelled'
    })
    // It was cancelled partway: 500 of the 1003 images written, the instances file's first megabyte on
    // disk under a temporary name (the results file had nothing to flush yet).
    expect(reports).toEqual([
      {
        done: 500,
        message: 'writing images',
        temporaries: [
          ['.instances.json.*.tmp', true],
          ['.results.json.*.tmp', false]
        ]
      }
    ])
    expect(readdirSync(out.path).sort()).toEqual(['instances.json', 'results.json'])
    expect(readFileSync(join(out.path, 'instances.json')).equals(before.instances)).toBe(true)
    expect(readFileSync(join(out.path, 'results.json')).equals(before.results)).toBe(true)
    // Not cancelled, the same export does replace the files: the check above could have failed.
    await exportTo(project, options, out.path)
    expect(readCoco(join(out.path, 'instances.json')).images).toHaveLength(1003)
    expect(readdirSync(out.path).sort()).toEqual(['instances.json', 'results.json'])
  })

  it('warns, in the preview and the report alike, that dropped holes are filled', async () => {
    const options = ExportOptions.parse({ format: 'coco', segmentation: 'polygon', polygonHoles: 'drop' })
    expect((await previewExport(project.store, options)).warnings).toEqual([HOLES_FILLED])
    expect((await runExport(project.store, options, out.path, noProgress)).warnings).toEqual([HOLES_FILLED])
    // Holes only matter to polygons: an RLE export keeps them and says nothing.
    const rle = ExportOptions.parse({ format: 'coco', polygonHoles: 'drop' })
    expect((await previewExport(project.store, rle)).warnings).toEqual([])
  })

  it('warns that YOLO loaders cannot find labels when the images are not copied, and not when they are', async () => {
    const options = ExportOptions.parse({ format: 'yolo-seg' })
    expect((await previewExport(project.store, options)).warnings).toEqual([YOLO_NEEDS_COPIES])
    expect((await runExport(project.store, options, out.path, noProgress)).warnings).toEqual([YOLO_NEEDS_COPIES])
    const copied = await exportTo(project, { format: 'yolo-seg', copyImages: true }, out.path)
    expect(copied).toMatchObject({ copiedImages: 3, warnings: [] })
  })

  it('leaves out instances whose category was deleted, naming each and warning how many', async () => {
    const db = new DatabaseSync(join(project.root, '.rose', 'project.db'))
    db.prepare('DELETE FROM categories WHERE name = ?').run('dog')
    db.close()
    const options = ExportOptions.parse({ format: 'coco' })
    expect((await previewExport(project.store, options)).warnings).toEqual([CATEGORY_GONE])
    const report = await runExport(project.store, options, out.path, noProgress)
    expect(report.warnings).toEqual([CATEGORY_GONE])
    expect(report.skipped).toEqual([{ item: `instance ${ids.pair} on image ${ids.a} (photos/a.png)`, reason: 'category "dog" is not in the project\'s categories' }])
    expect(report).toMatchObject({ instances: 2, categories: 1 })
    const coco = readCoco(join(out.path, 'instances.json'))
    expect(cocoViolations(coco)).toEqual([])
    expect(coco.categories.map((c) => c.name)).toEqual(['cat'])
    expect(coco.annotations.map((a) => a.id)).toEqual([ids.donut, ids.kitty])
  })

  it('copies the images into images/ under the names the file gives, in a file that conforms', async () => {
    const report = await exportTo(project, { format: 'coco', copyImages: true }, out.path)
    expect(report).toMatchObject({ copiedImages: 3, images: 3, instances: 3, skipped: [], warnings: [] })
    const coco = readCoco(join(out.path, 'instances.json'))
    expect(cocoViolations(coco)).toEqual([])
    expect(coco.images.map((i) => i.file_name)).toEqual(['photos/a.png', 'photos/b.png', 'photos/empty.png'])
    for (const image of coco.images) {
      const meta = await sharp(join(out.path, 'images', ...image.file_name.split('/'))).metadata()
      expect([image.file_name, meta.width, meta.height]).toEqual([image.file_name, image.width, image.height])
    }
  })

  it('has conformance checks that catch what they claim to', async () => {
    await exportTo(project, { format: 'coco', statuses: ['accepted', 'proposed'], resultsFile: true }, out.path)
    const coco = readCoco(join(out.path, 'instances.json'))
    const [result] = readResults(join(out.path, 'results.json'))
    const broken: CocoResult[] = [
      { ...result!, image_id: 999 },
      { ...result!, category_id: 99 },
      { ...result!, score: 1.5 },
      { ...result!, segmentation: { size: [64, 48], counts: result!.segmentation.counts } },
      { ...result!, segmentation: { size: [48, 64], counts: compress({ size: [48, 64], counts: Uint32Array.of(48 * 64) }).counts } },
      { ...result!, bbox: [40, 20, 10, 9] }
    ]
    expect(cocoResultsViolations(broken, coco)).toEqual([
      'result 0: image 999 is not in images',
      'result 1: category 99 is not in categories',
      'result 2: score 1.5 is not a number in [0, 1]',
      'result 3: RLE size [64, 48] is not [height, width] [48, 64]',
      'result 4: empty mask',
      'result 5: bbox 40,20,10,9 is not the tight box 40,20,10,8'
    ])
    // An approximate polygon's vertices may fall short of the stored box by the tolerance, never more,
    // and neither they nor their pixels may stick out of it.
    const square = { ...coco.annotations[0]!, segmentation: [[10, 10, 20, 10, 20, 20, 10, 20]], bbox: [8, 10, 12, 10] as [number, number, number, number] }
    expect(cocoViolations({ ...coco, annotations: [square] }, { approximatePolygons: { tolerance: 2 } })).toEqual([])
    expect(cocoViolations({ ...coco, annotations: [square] }, { approximatePolygons: { tolerance: 1.5 } })).toEqual([
      `annotation ${square.id}: bbox 8,10,12,10, polygon vertices' box 10,10,10,10: the left edge is 2 px inside the bbox, more than the tolerance 1.5`
    ])
    const outside = { ...square, bbox: [11, 10, 9, 10] as [number, number, number, number] }
    expect(cocoViolations({ ...coco, annotations: [outside] }, { approximatePolygons: { tolerance: 1.5 } })).toEqual([
      `annotation ${square.id}: bbox 11,10,9,10, polygon vertices' box 10,10,10,10: the left edge sticks out of the bbox by 1 px`,
      `annotation ${square.id}: bbox 11,10,9,10, rasterised polygon's tight box 10,10,10,10: the left edge sticks out of the bbox by 1 px`
    ])
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
    const inside = readCoco(join(out.path, 'instances.json'))
    expect(cocoViolations(inside)).toEqual([])
    expect(inside.images.map((i) => i.file_name)).toEqual(['a.png', 'b.png', 'empty.png'])
    const report = await exportTo(project, { format: 'coco', imageRoot: join(project.root, 'elsewhere') }, out.path)
    const outside = readCoco(join(out.path, 'instances.json'))
    expect(cocoViolations(outside)).toEqual([])
    expect(outside.images[0]!.file_name).toBe('../photos/a.png')
    expect(report.warnings).toEqual(['3 image(s) lie outside the image root: their file names start with ../'])
  })
})
