import { existsSync, readFileSync } from 'node:fs'
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import sharp from 'sharp'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { runAnnotationImport } from '../../../src-main/interop/annotation-import-job'
import { runExport } from '../../../src-main/interop/export-job'
import { AnnotationImportRequest, ExportOptions, type RequestOf } from '../../../src-preload/contract'
import { addImage, addMask, ellipses, makeProject, makeTempDir, pixelsOf, randomMask, rect, type TestProject } from './project-factory'

const noProgress = () => {}
const importInto = (project: TestProject, request: RequestOf<'annotations:import'>) =>
  runAnnotationImport(project.store, AnnotationImportRequest.parse(request), noProgress)

interface LabelmeFile {
  version: string
  shapes: { label: string; points: [number, number][]; group_id: number | null; shape_type: string; description: string }[]
  imagePath: string
  imageData: null
  imageHeight: number
  imageWidth: number
}

describe('labelme', () => {
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

  async function project(): Promise<void> {
    for (const p of [source, target]) {
      await addImage(p, 'shots/a.png', 64, 48)
      await addImage(p, 'shots/b.jpg', 33, 21, { format: 'jpeg' })
    }
    addMask(source, 1, ellipses(48, 64, [{ cx: 30, cy: 24, rx: 20, ry: 15 }, { cx: 30, cy: 24, rx: 6, ry: 5, hole: true }]), 48, 64, 'ring')
    addMask(source, 1, ellipses(48, 64, [{ cx: 5, cy: 5, rx: 4, ry: 4 }, { cx: 58, cy: 42, rx: 5, ry: 5 }]), 48, 64, 'pair')
    addMask(source, 2, randomMask(21, 33, 4), 21, 33, 'speckle')
    addMask(source, 2, rect(21, 33, 3, 3, 9, 7), 21, 33, 'box', { status: 'proposed', score: 0.25 })
  }

  it('writes one labelme file per image beside the path of its image, parts sharing a group id', async () => {
    await project()
    const report = await runExport(source.store, ExportOptions.parse({ format: 'labelme', statuses: ['accepted', 'proposed'] }), out.path, noProgress)
    expect(report).toMatchObject({ images: 2, instances: 4, skipped: [] })
    const a = JSON.parse(readFileSync(join(out.path, 'shots', 'a.json'), 'utf8')) as LabelmeFile
    expect(a).toMatchObject({ version: '5.5.0', imageData: null, imageHeight: 48, imageWidth: 64 })
    expect(a.imagePath).toBe(join('..', '..', source.root.split('/').pop()!, 'shots', 'a.png').replace(/\\/g, '/'))
    expect(a.shapes.map((s) => [s.label, s.group_id, s.shape_type])).toEqual([
      ['ring', null, 'polygon'],
      ['pair', 1, 'polygon'],
      ['pair', 1, 'polygon']
    ])
    const b = JSON.parse(readFileSync(join(out.path, 'shots', 'b.json'), 'utf8')) as LabelmeFile
    expect(b.shapes.find((s) => s.label === 'box')!.description).toBe('score 0.25')
  })

  it('puts copied images beside their JSON, named by file name', async () => {
    await project()
    await runExport(source.store, ExportOptions.parse({ format: 'labelme', copyImages: true }), out.path, noProgress)
    const a = JSON.parse(readFileSync(join(out.path, 'shots', 'a.json'), 'utf8')) as LabelmeFile
    expect(a.imagePath).toBe('a.png')
    expect(existsSync(join(out.path, 'shots', 'a.png'))).toBe(true)
  })

  it('EXPECTED FAILURE – never copies an image over itself when the export goes into the image folder', async () => {
    await project()
    const report = await runExport(source.store, ExportOptions.parse({ format: 'labelme', copyImages: true }), source.root, noProgress)
    expect(report.skipped.map((s) => s.reason)).toEqual([
      `cannot copy the image: the copy would overwrite the original ${join(source.root, 'shots', 'a.png')}: export to another folder`,
      `cannot copy the image: the copy would overwrite the original ${join(source.root, 'shots', 'b.jpg')}: export to another folder`
    ])
  })

  it('round-trips into a new project pixel for pixel, holes and parts included', async () => {
    await project()
    await runExport(source.store, ExportOptions.parse({ format: 'labelme' }), out.path, noProgress)
    const report = await importInto(target, { format: 'labelme', path: out.path })
    expect(report).toMatchObject({ imagesMatched: 2, instancesImported: 3, problems: [] })
    for (const id of [1, 2]) {
      const before = source.store.listInstances(id).filter((i) => i.status === 'accepted').map((i) => `${i.categoryText} ${i.rle.counts}`)
      const after = target.store.listInstances(id).map((i) => `${i.categoryText} ${i.rle.counts}`)
      expect(after.sort()).toEqual(before.sort())
    }
  })

  it('fills holes when they are dropped (labelme has none) and says how many instances lost them', async () => {
    await project()
    const report = await runExport(source.store, ExportOptions.parse({ format: 'labelme', polygonHoles: 'drop' }), out.path, noProgress)
    expect(report.polygons).toMatchObject({ instancesWithHoles: 2, holesDropped: 2, inexact: 2 }) // the ring and the speckle
    expect(report.warnings).toEqual(['2 instance(s) have holes, which will be filled: polygons with holes dropped'])
    await importInto(target, { format: 'labelme', path: out.path })
    const ring = target.store.listInstances(1).find((i) => i.categoryText === 'ring')!
    const filled = ellipses(48, 64, [{ cx: 30, cy: 24, rx: 20, ry: 15 }])
    expect(pixelsOf(ring.rle)).toEqual(filled)
  })

  it('reads rectangles, circles, grouped shapes and a file without imagePath; reports shapes without area and broken files', async () => {
    await addImage(target, 'pics/one.png', 40, 30)
    await addImage(target, 'pics/two.png', 40, 30)
    const dir = join(out.path, 'labels')
    await mkdir(join(dir, 'pics'), { recursive: true })
    const shape = (label: unknown, shape_type: string, points: number[][], group_id: number | null = null) => ({ label, shape_type, points, group_id, flags: {} })
    await writeFile(
      join(dir, 'one.json'),
      JSON.stringify({
        imagePath: '../../somewhere/else/one.png',
        imageWidth: 40,
        imageHeight: 30,
        shapes: [
          shape('box', 'rectangle', [[2, 2], [12, 8]]),
          shape('disc', 'circle', [[30, 15], [34, 15]]),
          shape('parts', 'polygon', [[0, 20], [5, 20], [5, 25]], 3),
          shape('parts', 'polygon', [[10, 20], [15, 20], [15, 25]], 3),
          shape('edge', 'line', [[0, 0], [10, 10]]),
          shape('', 'polygon', [[0, 0], [1, 0], [1, 1]]),
          shape('tiny', 'polygon', [[0, 0], [1, 1]])
        ]
      })
    )
    // No imagePath: found by the JSON file's own name.
    await writeFile(join(dir, 'pics', 'two.json'), JSON.stringify({ shapes: [shape('box', 'polygon', [[1, 1], [6, 1], [6, 4], [1, 4]])] }))
    await writeFile(join(dir, 'broken.json'), '{"shapes": [')
    await writeFile(join(dir, 'three.json'), JSON.stringify({ imagePath: 'three.png', shapes: [] }))
    const report = await importInto(target, { format: 'labelme', path: dir })
    expect(report.problems).toEqual([
      { item: 'broken.json', reason: expect.stringMatching(/^broken\.json is not valid JSON: /) as unknown as string },
      { item: 'one.json shape 4 ("edge")', reason: 'a line has no area' },
      { item: 'one.json shape 5', reason: '"label" must be a non-empty string' },
      { item: 'one.json shape 6 ("tiny")', reason: 'the polygon has 2 point(s); a polygon needs at least 3' },
      { item: 'three.json', reason: `no project image matches "three.png" (by path below ${dir}, project path, or file name)` }
    ])
    expect(report).toMatchObject({ imagesMatched: 2, imagesUnmatched: 1, instancesImported: 4, categoriesCreated: ['box', 'disc', 'parts'] })
    const one = target.store.listInstances(1)
    expect(one.map((i) => [i.categoryText, i.bbox])).toEqual([
      ['box', [2, 2, 10, 6]],
      ['disc', [26, 11, 8, 8]],
      ['parts', [1, 20, 14, 4]] // two triangles, one instance: the boxes of both, as pycocotools fills them
    ])
    expect(target.store.listInstances(2).map((i) => [i.categoryText, i.area])).toEqual([['box', 15]])
  })

  it('reports a file without a list of shapes, shapes without label or points, bad points and a wrong image size, and imports the rest', async () => {
    await addImage(target, 'pics/one.png', 40, 30)
    await addImage(target, 'pics/two.png', 40, 30)
    await addImage(target, 'pics/three.png', 40, 30)
    const dir = join(out.path, 'labels')
    await mkdir(dir, { recursive: true })
    const square = [[2, 2], [12, 2], [12, 8], [2, 8]]
    const file = (name: string, doc: unknown) => writeFile(join(dir, name), JSON.stringify(doc))
    await file('good.json', { imagePath: 'one.png', imageWidth: 40, imageHeight: 30, shapes: [{ label: 'box', shape_type: 'polygon', points: square }] })
    await file('noshapes.json', { imagePath: 'one.png', imageWidth: 40, imageHeight: 30 })
    await file('notlist.json', { imagePath: 'one.png', imageWidth: 40, imageHeight: 30, shapes: { label: 'box', points: square } })
    await file('shapes.json', {
      imagePath: 'two.png',
      imageWidth: 40,
      imageHeight: 30,
      shapes: [
        { label: 'nopoints', shape_type: 'polygon' },
        { label: 'short', shape_type: 'polygon', points: [[1, 1], [5], [5, 5]] },
        { label: 'text', shape_type: 'polygon', points: [[1, 1], [5, '2'], [5, 5]] },
        { shape_type: 'polygon', points: square },
        { label: 'kept', shape_type: 'polygon', points: square }
      ]
    })
    // 40x30 swapped: the image has no EXIF rotation that would explain it, so no frame fits.
    await file('wrongsize.json', { imagePath: 'three.png', imageWidth: 30, imageHeight: 40, shapes: [{ label: 'box', shape_type: 'polygon', points: square }] })
    const report = await importInto(target, { format: 'labelme', path: dir })
    expect(report.problems).toEqual([
      { item: 'noshapes.json', reason: 'missing key "shapes"' },
      { item: 'notlist.json', reason: '"shapes" must be a list' },
      { item: 'shapes.json shape 0 ("nopoints")', reason: 'missing key "points"' },
      { item: 'shapes.json shape 1 ("short")', reason: 'point 1 must be [x, y] with two numbers, got [5]' },
      { item: 'shapes.json shape 2 ("text")', reason: 'point 1 must be [x, y] with two numbers, got [5,"2"]' },
      { item: 'shapes.json shape 3', reason: 'missing key "label"' },
      { item: 'wrongsize.json', reason: 'the file says 30x40 (width x height) but the image is 40x30' }
    ])
    // One good file and the good shape of a file with bad ones; nothing on the image of the wrong-size file.
    expect(report).toMatchObject({ imagesMatched: 2, imagesUnmatched: 0, instancesImported: 2, categoriesCreated: ['box', 'kept'] })
    expect(target.store.listInstances(1).map((i) => [i.categoryText, i.bbox, i.area])).toEqual([['box', [2, 2, 10, 6], 60]])
    expect(target.store.listInstances(2).map((i) => [i.categoryText, i.bbox, i.area])).toEqual([['kept', [2, 2, 10, 6], 60]])
    expect(target.store.listInstances(3)).toEqual([])
  })

  it('reads a mask shape (labelme 5.3+): a PNG of 0/1 values placed at its box', async () => {
    await addImage(target, 'm.png', 12, 8)
    const png = await sharp(Buffer.from([1, 1, 0, 0, 1, 1]), { raw: { width: 3, height: 2, channels: 1 } }).png().toBuffer()
    const file = join(out.path, 'm.json')
    await writeFile(
      file,
      JSON.stringify({ imagePath: 'm.png', imageWidth: 12, imageHeight: 8, shapes: [{ label: 'blob', shape_type: 'mask', points: [[4, 3], [6, 4]], mask: png.toString('base64'), group_id: null }] })
    )
    const report = await importInto(target, { format: 'labelme', path: file })
    expect(report).toMatchObject({ instancesImported: 1, problems: [] })
    const [blob] = target.store.listInstances(1)
    expect([blob!.area, blob!.bbox]).toEqual([4, [4, 3, 3, 2]])
  })
})
