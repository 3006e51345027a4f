import { readFileSync } from 'node:fs'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { runAnnotationImport } from '../../../src-main/interop/annotation-import-job'
import { runExport } from '../../../src-main/interop/export-job'
import { compress, encodeRowMajor, toUncompressed } from '../../../src-main/masks/rle'
import { AnnotationImportRequest, ExportOptions, type RequestOf } from '../../../src-preload/contract'
import { addImage, addMask, ellipses, makeProject, makeTempDir, randomMask, rect, type TestProject } from './project-factory'

const vectorsPath = fileURLToPath(new URL('../../../../shared/fixtures/coco-rle/vectors.json', import.meta.url))
const vectors = JSON.parse(readFileSync(vectorsPath, 'utf8')) as {
  polygons: { size: [number, number]; polygons: number[][]; counts: string; area: number; bbox: number[] }[]
}

const noProgress = () => {}
type ImportRequest = RequestOf<'annotations:import'>
const importInto = (project: TestProject, request: ImportRequest) =>
  runAnnotationImport(project.store, AnnotationImportRequest.parse(request), noProgress)

/** Every accepted instance of a project as `path → sorted "category counts"`, by the category it belongs to. */
function masksByPath(project: TestProject): Record<string, string[]> {
  const names = new Map(project.store.listCategories().map((c) => [c.id, c.name]))
  const out: Record<string, string[]> = {}
  for (const image of project.store.listImages({ offset: 0, limit: 1000 }).items) {
    out[image.path] = project.store
      .listInstances(image.id)
      .filter((i) => i.status === 'accepted')
      .map((i) => `${names.get(i.categoryId!)} ${i.rle.counts}`)
      .sort()
  }
  return out
}

describe('COCO import', () => {
  let source: TestProject
  let target: TestProject
  let out: { path: string; dispose(): Promise<void> }

  beforeEach(async () => {
    source = await makeProject()
    target = await makeProject()
    out = await makeTempDir()
  })
  afterEach(async () => {
    await source.dispose()
    await target.dispose()
    await out.dispose()
  })

  async function sameImagesInBoth(): Promise<void> {
    const a = await addImage(source, 'img/a.png', 64, 48)
    const b = await addImage(source, 'img/sub/b.png', 37, 29)
    await addImage(target, 'img/a.png', 64, 48)
    await addImage(target, 'img/sub/b.png', 37, 29)
    addMask(source, a, ellipses(48, 64, [{ cx: 30, cy: 24, rx: 20, ry: 15 }, { cx: 30, cy: 24, rx: 6, ry: 5, hole: true }]), 48, 64, 'ring')
    addMask(source, a, ellipses(48, 64, [{ cx: 5, cy: 5, rx: 4, ry: 4 }, { cx: 58, cy: 42, rx: 5, ry: 5 }]), 48, 64, 'pair')
    addMask(source, a, randomMask(48, 64, 3), 48, 64, 'speckle')
    addMask(source, b, randomMask(29, 37, 9), 29, 37, 'speckle')
    addMask(source, b, rect(29, 37, 0, 0, 37, 29), 29, 37, 'Ring') // same category, other spelling
  }

  it.each(['rle', 'polygon'] as const)(
    'round-trips a project through a COCO file (%s) into a new project with pixel-identical masks, categories and counts',
    async (segmentation) => {
      await sameImagesInBoth()
      await runExport(source.store, ExportOptions.parse({ format: 'coco', segmentation }), out.path, noProgress)
      const report = await importInto(target, { format: 'coco', path: join(out.path, 'instances.json'), imageRoot: target.root })
      expect(report).toMatchObject({
        imagesMatched: 2,
        imagesUnmatched: 0,
        instancesImported: 5,
        instancesDuplicate: 0,
        categoriesCreated: ['ring', 'pair', 'speckle'],
        problems: [],
        problemCount: 0
      })
      expect(masksByPath(target)).toEqual(masksByPath(source))
      expect(target.store.listCategories().map((c) => c.name)).toEqual(source.store.listCategories().map((c) => c.name))
      const imported = target.store.listInstances(1)[0]!
      expect(imported).toMatchObject({ status: 'accepted', source: 'human', score: null })
    }
  )

  it('adds nothing when the same file is imported again', async () => {
    await sameImagesInBoth()
    await runExport(source.store, ExportOptions.parse({ format: 'coco' }), out.path, noProgress)
    const request = { format: 'coco', path: join(out.path, 'instances.json'), imageRoot: target.root } as const
    await importInto(target, request)
    const again = await importInto(target, request)
    expect(again).toMatchObject({ instancesImported: 0, instancesDuplicate: 5, categoriesCreated: [] })
    expect(target.store.info().instanceCount).toBe(5)
  })

  it('merges categories into the project by name, ignoring case, and reports the merge', async () => {
    const id = await addImage(target, 'a.png', 10, 10)
    addMask(target, id, rect(10, 10, 0, 0, 2, 2), 10, 10, 'Dog')
    const file = join(out.path, 'x.json')
    await writeJson(file, {
      images: [{ id: 1, file_name: 'a.png', width: 10, height: 10 }],
      categories: [{ id: 5, name: 'dog' }, { id: 6, name: 'cat', supercategory: 'animal' }],
      annotations: [
        { id: 1, image_id: 1, category_id: 5, segmentation: [[4, 4, 8, 4, 8, 8]] },
        { id: 2, image_id: 1, category_id: 6, segmentation: [[1, 5, 3, 5, 3, 9]] }
      ]
    })
    const report = await importInto(target, { format: 'coco', path: file })
    expect(report).toMatchObject({ instancesImported: 2, categoriesCreated: ['cat'], categoriesMerged: [{ from: 'dog', to: 'Dog' }] })
    expect(target.store.listCategories().map((c) => [c.name, c.supercategory])).toEqual([
      ['cat', 'animal'],
      ['Dog', null]
    ])
  })

  it('rasterises imported polygons exactly as pycocotools does (the shared reference vectors)', async () => {
    const images = vectors.polygons.map((v, i) => ({ id: i + 1, file_name: `v${i}.png`, width: v.size[1], height: v.size[0] }))
    for (const image of images) await addImage(target, image.file_name, image.width, image.height)
    const file = join(out.path, 'vectors.json')
    await writeJson(file, {
      images,
      categories: [{ id: 1, name: 'shape' }],
      annotations: vectors.polygons.map((v, i) => ({ id: i + 1, image_id: i + 1, category_id: 1, segmentation: v.polygons }))
    })
    const report = await importInto(target, { format: 'coco', path: file })
    const nonEmpty = vectors.polygons.filter((v) => v.area > 0).length
    expect(report.instancesImported).toBe(nonEmpty)
    vectors.polygons.forEach((v, i) => {
      const stored = target.store.listInstances(i + 1)
      if (v.area === 0) return expect(stored).toEqual([])
      expect(stored[0]!.rle.counts, `vector ${i}`).toBe(v.counts)
      expect(stored[0]!.area).toBe(v.area)
      expect(stored[0]!.bbox).toEqual(v.bbox)
    })
  })

  it('reads compressed RLE, uncompressed RLE and crowd regions (skipped unless asked for)', async () => {
    await addImage(target, 'a.png', 8, 6)
    const mask = encodeRowMajor(rect(6, 8, 2, 1, 3, 2), 6, 8)
    const file = join(out.path, 'rle.json')
    await writeJson(file, {
      images: [{ id: 1, file_name: 'a.png', width: 8, height: 6 }],
      categories: [{ id: 1, name: 'box' }, { id: 2, name: 'crowd' }],
      annotations: [
        { id: 1, image_id: 1, category_id: 1, segmentation: compress(mask), iscrowd: 0 },
        { id: 2, image_id: 1, category_id: 2, segmentation: toUncompressed(encodeRowMajor(rect(6, 8, 0, 4, 8, 2), 6, 8)), iscrowd: 1 }
      ]
    })
    const skipped = await importInto(target, { format: 'coco', path: file })
    expect(skipped).toMatchObject({ instancesImported: 1, crowdSkipped: 1 })
    expect(target.store.listInstances(1)[0]!.rle.counts).toBe(compress(mask).counts)
    const withCrowd = await importInto(target, { format: 'coco', path: file, crowd: 'import' })
    expect(withCrowd).toMatchObject({ instancesImported: 1, instancesDuplicate: 1, crowdSkipped: 0 })
    expect(target.store.listInstances(1).map((i) => [i.categoryText, i.area])).toEqual([
      ['box', 6],
      ['crowd', 16]
    ])
  })

  it('EXPECTED FAILURE – reports every malformed entry with its id and the exact problem, and imports the rest', async () => {
    await addImage(target, 'a.png', 64, 48)
    await addImage(target, 'b.png', 40, 30)
    const file = join(out.path, 'bad.json')
    await writeJson(file, {
      images: [
        { id: 1, file_name: 'a.png', width: 64, height: 48 },
        { id: 2, file_name: 'nope.png', width: 10, height: 10 },
        { id: 3, width: 5, height: 5 },
        { id: 4, file_name: 'b.png', width: 41, height: 30 },
        { id: 1, file_name: 'b.png' }
      ],
      categories: [{ id: 1, name: 'cat' }, { id: 'x', name: 'bad' }, { id: 2 }, 'dog'],
      annotations: [
        { id: 10, image_id: 1, category_id: 1, segmentation: [[10, 10, 20, 10, 20, 20]] },
        { id: 11, category_id: 1, segmentation: [[1, 1, 5, 1, 5, 5]] },
        { id: 12, image_id: 99, category_id: 1, segmentation: [[1, 1, 5, 1, 5, 5]] },
        { id: 13, image_id: 1, category_id: 7, segmentation: [[1, 1, 5, 1, 5, 5]] },
        { id: 14, image_id: 1, category_id: 1, segmentation: [[1, 2, 3, 4, 5, 6, 7]] },
        { id: 15, image_id: 1, category_id: 1, segmentation: { size: [64, 48], counts: '0' } },
        { id: 16, image_id: 1, category_id: 1 },
        { id: 17, image_id: 1, category_id: 1, segmentation: { size: [48, 64], counts: [10, 5] } },
        { id: 18, image_id: 1, category_id: 1, segmentation: [[100, 100, 110, 100, 110, 110]] },
        { id: 19, image_id: 1, category_id: 1, segmentation: [[1, 1, 5, 1]] },
        { id: 20, image_id: 1, category_id: 1, segmentation: { size: [48, 64], counts: 'a!' } },
        { id: 21, image_id: 2, category_id: 1, segmentation: [[1, 1, 5, 1, 5, 5]] },
        5
      ]
    })
    const report = await importInto(target, { format: 'coco', path: file })
    expect(report.problems).toEqual([
      { item: 'categories[1]', reason: '"id" must be an integer, got "x"' },
      { item: 'category id 2', reason: 'missing key "name"' },
      { item: 'categories[3]', reason: 'is not an object' },
      { item: 'image id 2 (nope.png)', reason: `no project image matches "nope.png" (by path below ${out.path}, project path, or file name)` },
      { item: 'image id 3', reason: 'missing key "file_name"' },
      { item: 'image id 4 (b.png)', reason: 'the file says 41x30 (width x height) but the image is 40x30' },
      { item: 'image id 1 (b.png)', reason: 'the id is used by an earlier image' },
      { item: 'annotation id 11', reason: 'missing key "image_id"' },
      { item: 'annotation id 12', reason: "image_id 99 is not in the file's images" },
      { item: 'annotations[12]', reason: 'is not an object' },
      { item: 'annotation id 13', reason: "category_id 7 is not in the file's categories" },
      { item: 'annotation id 14', reason: 'polygon 0 has an odd number of coordinates (7)' },
      { item: 'annotation id 15', reason: "RLE size [64, 48] disagrees with the image's [height, width] [48, 64]" },
      { item: 'annotation id 16', reason: 'missing key "segmentation"' },
      { item: 'annotation id 17', reason: 'RLE counts: runs sum to 15 but size is 48x64' },
      { item: 'annotation id 18', reason: 'the segmentation covers no pixel of the image' },
      { item: 'annotation id 19', reason: 'polygon 0 has 2 point(s); a polygon needs at least 3' },
      { item: 'annotation id 20', reason: `RLE counts: invalid character "!" at offset 1 (expected ASCII 48 '0' to 111 'o')` }
    ])
    expect(report).toMatchObject({ instancesImported: 1, problemCount: 18, imagesMatched: 1, imagesUnmatched: 1 })
    expect(target.store.listInstances(1).map((i) => i.bbox)).toEqual([[11, 10, 9, 9]])
  })

  it.each([
    ['is not JSON', '{"images": [', 'bad.json is not valid JSON: '],
    ['lacks a top-level key', '{"images": [], "categories": []}', 'bad.json: missing key "annotations"'],
    ['is a results list', '[]', 'bad.json: expected a COCO object with "images", "annotations" and "categories" (a list is a COCO results file: import the instances file it goes with)'],
    ['has a key of the wrong type', '{"images": {}, "annotations": [], "categories": []}', 'bad.json: "images" must be a list']
  ])('EXPECTED FAILURE – fails the whole import with the file name when the file %s', async (_what, text, message) => {
    const file = join(out.path, 'bad.json')
    await writeFile(file, text)
    await expect(importInto(target, { format: 'coco', path: file })).rejects.toThrow(message)
  })

  it('EXPECTED FAILURE – names the path of a file that does not exist', async () => {
    const file = join(out.path, 'missing.json')
    await expect(importInto(target, { format: 'coco', path: file })).rejects.toThrow(`cannot read ${file}: ENOENT`)
  })

  describe('EXIF orientation 6 (a 30x40 upright image stored as 40x30)', () => {
    beforeEach(async () => {
      await addImage(target, 'turned.jpg', 30, 40, { orientation: 6, format: 'jpeg' })
    })
    // A 10x5 box at the stored frame's top-left corner: upright, it is at the top-right, 5 wide and 10 tall.
    const storedBox = [[0, 0, 10, 0, 10, 5, 0, 5]]
    const file = (dir: string) => join(dir, 'turned.json')

    it('turns annotations written in the stored frame (declared 40x30) into the upright frame', async () => {
      await writeJson(file(out.path), {
        images: [{ id: 1, file_name: 'turned.jpg', width: 40, height: 30 }],
        categories: [{ id: 1, name: 'box' }],
        annotations: [
          { id: 1, image_id: 1, category_id: 1, segmentation: storedBox },
          { id: 2, image_id: 1, category_id: 1, segmentation: compress(encodeRowMajor(rect(30, 40, 0, 0, 10, 5), 30, 40)) }
        ]
      })
      const report = await importInto(target, { format: 'coco', path: file(out.path) })
      expect(report).toMatchObject({ imagesConvertedFromStoredFrame: 1, instancesImported: 1, instancesDuplicate: 1, problems: [] })
      expect(target.store.listInstances(1).map((i) => [i.bbox, i.rle.size])).toEqual([[[25, 0, 5, 10], [40, 30]]])
    })

    it('keeps annotations written in the upright frame (declared 30x40) as they are', async () => {
      await writeJson(file(out.path), {
        images: [{ id: 1, file_name: 'turned.jpg', width: 30, height: 40 }],
        categories: [{ id: 1, name: 'box' }],
        annotations: [{ id: 1, image_id: 1, category_id: 1, segmentation: storedBox }]
      })
      const report = await importInto(target, { format: 'coco', path: file(out.path) })
      expect(report.imagesConvertedFromStoredFrame).toBe(0)
      expect(target.store.listInstances(1)[0]!.bbox).toEqual([0, 0, 10, 5])
    })

    it('EXPECTED FAILURE – reports a declared size that fits neither frame', async () => {
      await writeJson(file(out.path), {
        images: [{ id: 1, file_name: 'turned.jpg', width: 50, height: 50 }],
        categories: [{ id: 1, name: 'box' }],
        annotations: [{ id: 1, image_id: 1, category_id: 1, segmentation: storedBox }]
      })
      const report = await importInto(target, { format: 'coco', path: file(out.path) })
      expect(report.problems).toEqual([
        {
          item: 'image id 1 (turned.jpg)',
          reason: 'the file says 50x50 (width x height) but the image is 30x40 upright and 40x30 as stored (EXIF orientation 6)'
        }
      ])
    })
  })

  it('does nothing in a dry run but reports what it would do', async () => {
    await sameImagesInBoth()
    await runExport(source.store, ExportOptions.parse({ format: 'coco' }), out.path, noProgress)
    const report = await importInto(target, { format: 'coco', path: join(out.path, 'instances.json'), imageRoot: target.root, dryRun: true })
    expect(report).toMatchObject({ dryRun: true, instancesImported: 5, categoriesCreated: ['ring', 'pair', 'speckle'], problems: [] })
    expect(target.store.info().instanceCount).toBe(0)
    expect(target.store.listCategories()).toEqual([])
  })
})

async function writeJson(path: string, value: unknown): Promise<void> {
  await writeFile(path, JSON.stringify(value))
}
