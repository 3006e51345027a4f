import { existsSync, readFileSync } from 'node:fs'
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { runAnnotationImport } from '../../../src-main/interop/annotation-import-job'
import { runExport } from '../../../src-main/interop/export-job'
import { AnnotationImportRequest, ExportOptions, type RequestOf } from '../../../src-preload/contract'
import { addImage, addMask, ellipses, makeProject, makeTempDir, randomMask, rect, type TestProject } from './project-factory'

const noProgress = () => {}
const importInto = (project: TestProject, request: RequestOf<'annotations:import'>) =>
  runAnnotationImport(project.store, AnnotationImportRequest.parse(request), noProgress)

describe('YOLO-seg', () => {
  let source: TestProject
  let target: TestProject
  let out: { path: string; dispose(): Promise<void> }

  beforeEach(async () => {
    source = await makeProject()
    target = await makeProject()
    out = await makeTempDir()
    for (const p of [source, target]) {
      await addImage(p, 'set/a.png', 64, 48)
      await addImage(p, 'set/b.png', 33, 21)
      await addImage(p, 'set/c.png', 20, 20, { status: 'done' })
    }
    addMask(source, 1, ellipses(48, 64, [{ cx: 30, cy: 24, rx: 20, ry: 15 }, { cx: 30, cy: 24, rx: 6, ry: 5, hole: true }]), 48, 64, 'ring')
    addMask(source, 1, ellipses(48, 64, [{ cx: 5, cy: 5, rx: 4, ry: 4 }, { cx: 58, cy: 42, rx: 5, ry: 5 }]), 48, 64, 'pair')
    addMask(source, 2, randomMask(21, 33, 4), 21, 33, 'speckle "dots"')
  })
  afterEach(async () => {
    await source.dispose()
    await target.dispose()
    await out.dispose()
  })

  it('writes labels, copied images and a data.yaml that ultralytics reads', async () => {
    const report = await runExport(source.store, ExportOptions.parse({ format: 'yolo-seg', copyImages: true }), out.path, noProgress)
    expect(report).toMatchObject({ files: ['data.yaml'], images: 3, instances: 3, copiedImages: 3, warnings: [] })
    expect(readFileSync(join(out.path, 'data.yaml'), 'utf8')).toBe(
      [
        '# YOLO segmentation dataset exported by ROSE Studio',
        'train: images/train',
        'val: images/train # no split was asked for: validation reuses the training images',
        'nc: 3',
        'names:',
        '  0: "ring"',
        '  1: "pair"',
        '  2: "speckle \\"dots\\""',
        ''
      ].join('\n')
    )
    expect(existsSync(join(out.path, 'images', 'train', 'set', 'a.png'))).toBe(true)
    const a = readFileSync(join(out.path, 'labels', 'train', 'set', 'a.txt'), 'utf8').trim().split('\n')
    // One line per object: the two-part instance is one joined polygon.
    expect(a.map((line) => line.split(' ')[0])).toEqual(['0', '1'])
    for (const line of a) {
      const values = line.split(' ').slice(1).map(Number)
      expect(values.length % 2).toBe(0)
      expect(values.every((v) => v >= 0 && v <= 1)).toBe(true)
    }
    expect(readFileSync(join(out.path, 'labels', 'train', 'set', 'c.txt'), 'utf8')).toBe('')
  })

  it('round-trips into a new project pixel for pixel, holes and parts included', async () => {
    await runExport(source.store, ExportOptions.parse({ format: 'yolo-seg', copyImages: true }), out.path, noProgress)
    const report = await importInto(target, { format: 'yolo-seg', path: out.path })
    expect(report).toMatchObject({ imagesMatched: 3, instancesImported: 3, problems: [], categoriesCreated: ['ring', 'pair', 'speckle "dots"'] })
    for (const id of [1, 2]) {
      const before = source.store.listInstances(id).map((i) => `${i.categoryText} ${i.rle.counts}`)
      expect(target.store.listInstances(id).map((i) => `${i.categoryText} ${i.rle.counts}`)).toEqual(before)
    }
  })

  it('puts split sides under images/val and labels/val and names val in data.yaml', async () => {
    for (let i = 0; i < 12; i++) {
      const id = await addImage(source, `more/${i}.png`, 10, 10)
      addMask(source, id, rect(10, 10, 1, 1, 4, 4), 10, 10, 'ring')
    }
    await runExport(source.store, ExportOptions.parse({ format: 'yolo-seg', copyImages: true, split: { valFraction: 0.4, seed: 3 } }), out.path, noProgress)
    expect(readFileSync(join(out.path, 'data.yaml'), 'utf8')).toContain('\nval: images/val\n')
    expect(existsSync(join(out.path, 'labels', 'val'))).toBe(true)
  })

  it('EXPECTED FAILURE – reports each bad label line as ultralytics would reject it, and imports the good ones', async () => {
    const root = join(out.path, 'ds')
    await mkdir(join(root, 'labels', 'train', 'set'), { recursive: true })
    await writeFile(join(root, 'data.yaml'), 'path: .\ntrain: images/train\nval: images/train\nnames:\n  0: cat\n  1: dog\n')
    await writeFile(
      join(root, 'labels', 'train', 'set', 'a.txt'),
      [
        '0 0.1 0.1 0.5 0.1 0.5 0.5',
        '',
        '2 0.1 0.1 0.5 0.1 0.5 0.5',
        '1 0.5 0.5 0.2 0.2',
        '1 0.1 0.1 0.5 0.1 0.5',
        '1 0.1 0.1',
        '1 0.1 0.1 1.5 0.1 0.5 0.5',
        '1 0.1 x 0.5 0.1 0.5 0.5',
        '1.5 0.1 0.1 0.5 0.1 0.5 0.5'
      ].join('\n')
    )
    await writeFile(join(root, 'labels', 'train', 'nowhere.txt'), '0 0.1 0.1 0.5 0.1 0.5 0.5\n')
    const report = await importInto(target, { format: 'yolo-seg', path: join(root, 'data.yaml') })
    expect(report.problems).toEqual([
      { item: 'labels/train/nowhere.txt', reason: `no project image matches "train/nowhere" (by path below ${join(root, 'images')}, project path, or file name)` },
      { item: 'labels/train/set/a.txt line 3', reason: "class 2 is not in data.yaml's names (0 to 1)" },
      { item: 'labels/train/set/a.txt line 4', reason: 'has 4 values after the class: a detection box (x y w h), not a segment' },
      { item: 'labels/train/set/a.txt line 5', reason: 'has an odd number of coordinates (5)' },
      { item: 'labels/train/set/a.txt line 6', reason: 'has 1 point(s); a polygon needs at least 3' },
      { item: 'labels/train/set/a.txt line 7', reason: 'coordinate 1.5 is outside 0–1 (not normalised, or out of the image)' },
      { item: 'labels/train/set/a.txt line 8', reason: '"x" is not a number' },
      { item: 'labels/train/set/a.txt line 9', reason: "class 1.5 is not in data.yaml's names (0 to 1)" }
    ])
    expect(report).toMatchObject({ imagesMatched: 1, imagesUnmatched: 1, instancesImported: 1, categoriesCreated: ['cat'] })
    // The triangle (6.4, 4.8), (32, 4.8), (32, 24) on the 64x48 image.
    expect(target.store.listInstances(1).map((i) => [i.categoryText, i.bbox])).toEqual([['cat', [7, 5, 25, 19]]])
  })

  it('reads names given as a YAML list, and refuses a data.yaml without names', async () => {
    const root = join(out.path, 'ds')
    await mkdir(join(root, 'labels'), { recursive: true })
    await writeFile(join(root, 'labels', 'a.txt'), '1 0 0 1 0 1 1\n')
    await writeFile(join(root, 'data.yaml'), "names: ['cat', 'dog']  # a flow list\n")
    const report = await importInto(target, { format: 'yolo-seg', path: root })
    expect(target.store.listInstances(1).map((i) => i.categoryText)).toEqual(['dog'])
    expect(report.problems).toEqual([])
    await writeFile(join(root, 'data.yaml'), 'nc: 2\n')
    await expect(importInto(target, { format: 'yolo-seg', path: root })).rejects.toThrow('data.yaml: missing key "names"')
  })
})
