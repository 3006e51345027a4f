import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import sharp from 'sharp'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { runExport } from '../../../src-main/interop/export-job'
import { ExportOptions } from '../../../src-preload/contract'
import { addImage, addMask, makeProject, makeTempDir, rect, type TestProject } from './project-factory'

describe('PNG mask export', () => {
  let project: TestProject
  let out: { path: string; dispose(): Promise<void> }

  beforeEach(async () => {
    project = await makeProject()
    out = await makeTempDir()
    const id = await addImage(project, 'photos/street.png', 20, 10)
    addMask(project, id, rect(10, 20, 0, 5, 20, 5), 10, 20, 'road') // bottom half, large
    addMask(project, id, rect(10, 20, 2, 3, 4, 4), 10, 20, 'car') // overlaps the road: small wins
  })
  afterEach(async () => {
    await project.dispose()
    await out.dispose()
  })

  it('writes a palette PNG of class indices, smaller instances painted over larger ones, and the class list', async () => {
    const report = await runExport(project.store, ExportOptions.parse({ format: 'masks', instance: false }), out.path, () => {})
    expect(report).toMatchObject({ files: ['classes.json', 'classes.txt'], images: 1, instances: 2 })
    const categories = project.store.listCategories()
    const color = (name: string) => categories.find((c) => c.name === name)!.color
    const classes = JSON.parse(readFileSync(join(out.path, 'classes.json'), 'utf8'))
    expect(classes).toEqual([
      { index: 0, category_id: 0, name: 'background', color: '#000000' },
      { index: 1, category_id: 1, name: 'road', color: color('road') },
      { index: 2, category_id: 2, name: 'car', color: color('car') }
    ])
    expect(readFileSync(join(out.path, 'classes.txt'), 'utf8')).toBe('background\nroad\ncar\n')
    const file = join(out.path, 'semantic', 'photos', 'street.png')
    const meta = await sharp(file).metadata()
    expect([meta.width, meta.height, meta.isPalette, meta.bitsPerSample]).toEqual([20, 10, true, 8])
    // Palette colours decode to the class colours at the right pixels.
    const { data, info } = await sharp(file).raw().toBuffer({ resolveWithObject: true })
    const hex = (x: number, y: number) => '#' + [...data.subarray((y * 20 + x) * info.channels, (y * 20 + x) * info.channels + 3)].map((v) => v.toString(16).padStart(2, '0')).join('')
    expect([hex(0, 0), hex(10, 8), hex(3, 6), hex(3, 3)]).toEqual(['#000000', color('road'), color('car'), color('car')])
  })

  it('writes a 16-bit instance PNG numbering instances by id, with a list saying which is which', async () => {
    await runExport(project.store, ExportOptions.parse({ format: 'masks', semantic: false }), out.path, () => {})
    const file = join(out.path, 'instance', 'photos', 'street.png')
    const meta = await sharp(file).metadata()
    expect([meta.width, meta.height, meta.channels, meta.depth]).toEqual([20, 10, 1, 'ushort'])
    const { data } = await sharp(file).toColourspace('grey16').raw({ depth: 'ushort' }).toBuffer({ resolveWithObject: true })
    const values = new Uint16Array(data.buffer, data.byteOffset, data.length / 2)
    const at = (x: number, y: number) => values[y * 20 + x]
    expect([at(0, 0), at(10, 8), at(3, 6), at(3, 3)]).toEqual([0, 1, 2, 2])
    const list = JSON.parse(readFileSync(join(out.path, 'instance', 'photos', 'street.json'), 'utf8'))
    expect(list).toEqual({
      image: 'photos/street.png',
      width: 20,
      height: 10,
      instances: [
        { value: 1, id: 1, category_id: 1, class_index: 1, category: 'road', score: null },
        { value: 2, id: 2, category_id: 2, class_index: 2, category: 'car', score: null }
      ]
    })
  })

  it('EXPECTED FAILURE – refuses a masks export with neither kind of mask', async () => {
    await expect(runExport(project.store, ExportOptions.parse({ format: 'masks', semantic: false, instance: false }), out.path, () => {})).rejects.toThrow(
      'options: a masks export needs semantic or instance masks (or both)'
    )
  })
})
