import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import sharp from 'sharp'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { runExport } from '../../../src-main/interop/export-job'
import { decodeRowMajor, decompress } from '../../../src-main/masks/rle'
import { ExportOptions } from '../../../src-preload/contract'
import { redCornerFrame } from '../images/image-factory'
import { cocoViolations, type CocoFile } from './coco-conformance'
import { addImage, addMask, makeProject, makeTempDir, rect, type TestProject } from './project-factory'

// A JPEG stored 40 wide and 30 tall with EXIF orientation 6: upright it is 30 wide and 40 tall. The stored
// frame's top-left 10x10 square is red, so upright the red square is at the top-right (x 20–29, y 0–9).
const UPRIGHT_W = 30
const UPRIGHT_H = 40

/** Mean RGB of `pixels` (interleaved, `channels` per pixel, `width` wide) where `mask` (row-major) is set. */
function meanUnder(pixels: Buffer, width: number, channels: number, mask: Uint8Array): number[] {
  const sum = [0, 0, 0]
  let n = 0
  for (let i = 0; i < mask.length; i++) {
    if (mask[i] === 0) continue
    for (let c = 0; c < 3; c++) sum[c]! += pixels[i * channels + c]!
    n++
  }
  expect(n).toBeGreaterThan(0)
  return sum.map((s) => Math.round(s / n))
}

const isRed = (rgb: number[]) => rgb[0]! > 200 && rgb[1]! < 60 && rgb[2]! < 60

describe('export of an EXIF-rotated image (orientation 6)', () => {
  let project: TestProject
  let out: { path: string; dispose(): Promise<void> }
  let mask: Uint8Array

  beforeEach(async () => {
    project = await makeProject()
    out = await makeTempDir()
    const id = await addImage(project, 'turned.jpg', UPRIGHT_W, UPRIGHT_H, {
      orientation: 6,
      format: 'jpeg',
      storedPixels: redCornerFrame(40, 30, 10)
    })
    // Annotated upright, as the app shows it: the red square, 2 px inside its edges (JPEG blurs edges).
    mask = rect(UPRIGHT_H, UPRIGHT_W, 22, 2, 6, 6)
    addMask(project, id, mask, UPRIGHT_H, UPRIGHT_W, 'red square')
  })
  afterEach(async () => {
    await project.dispose()
    await out.dispose()
  })

  const exportedMask = (coco: CocoFile) => decodeRowMajor(decompress(coco.annotations[0]!.segmentation as { size: [number, number]; counts: string }))

  it('without copies: width and height are upright, and the mask lines up with the image as an EXIF-applying loader sees it', async () => {
    const report = await runExport(project.store, ExportOptions.parse({ format: 'coco' }), out.path, () => {})
    const coco = JSON.parse(readFileSync(join(out.path, 'instances.json'), 'utf8')) as CocoFile
    expect(cocoViolations(coco)).toEqual([])
    expect(coco.images[0]).toMatchObject({ file_name: 'turned.jpg', width: UPRIGHT_W, height: UPRIGHT_H })
    const original = join(project.root, 'turned.jpg')
    const upright = await sharp(original).autoOrient().raw().toBuffer({ resolveWithObject: true })
    expect([upright.info.width, upright.info.height]).toEqual([UPRIGHT_W, UPRIGHT_H])
    expect(isRed(meanUnder(upright.data, UPRIGHT_W, upright.info.channels, exportedMask(coco)))).toBe(true)
    // A loader that ignores EXIF sees the stored 40x30 frame, which the annotations do not describe: the
    // export says so and suggests copies.
    const stored = await sharp(original).metadata()
    expect([stored.width, stored.height, stored.orientation]).toEqual([40, 30, 6])
    expect(report.warnings).toEqual([
      '1 image(s) carry an EXIF rotation: annotations are in the upright frame, which loaders that ignore EXIF do not see; copy the images to bake the rotation in'
    ])
  })

  it('with copies: the copy is upright with no orientation tag, so the mask lines up with or without EXIF handling', async () => {
    const report = await runExport(project.store, ExportOptions.parse({ format: 'coco', copyImages: true }), out.path, () => {})
    expect(report).toMatchObject({ copiedImages: 1, warnings: [], skipped: [] })
    const coco = JSON.parse(readFileSync(join(out.path, 'instances.json'), 'utf8')) as CocoFile
    expect(cocoViolations(coco)).toEqual([])
    expect(coco.images[0]).toMatchObject({ file_name: 'turned.jpg', width: UPRIGHT_W, height: UPRIGHT_H })
    const copy = join(out.path, 'images', 'turned.jpg')
    const meta = await sharp(copy).metadata()
    expect([meta.format, meta.width, meta.height, meta.orientation]).toEqual(['jpeg', UPRIGHT_W, UPRIGHT_H, undefined])
    // As stored (a loader ignoring EXIF) and as oriented (one applying it) are now the same pixels.
    for (const pixels of [await sharp(copy).raw().toBuffer({ resolveWithObject: true }), await sharp(copy).autoOrient().raw().toBuffer({ resolveWithObject: true })]) {
      expect([pixels.info.width, pixels.info.height]).toEqual([UPRIGHT_W, UPRIGHT_H])
      expect(isRed(meanUnder(pixels.data, UPRIGHT_W, pixels.info.channels, exportedMask(coco)))).toBe(true)
      expect(isRed(meanUnder(pixels.data, UPRIGHT_W, pixels.info.channels, rect(UPRIGHT_H, UPRIGHT_W, 2, 20, 6, 6)))).toBe(false)
    }
    expect(exportedMask(coco)).toEqual(mask)
  })

  it('reports an image that cannot be copied and leaves it and its annotations out', async () => {
    const { rmSync } = await import('node:fs')
    rmSync(join(project.root, 'turned.jpg'))
    const report = await runExport(project.store, ExportOptions.parse({ format: 'coco', copyImages: true }), out.path, () => {})
    expect(report.skipped).toHaveLength(1)
    expect(report.skipped[0]!.item).toBe('image 1 (turned.jpg)')
    expect(report.skipped[0]!.reason).toMatch(/^cannot copy the image: /)
    const coco = JSON.parse(readFileSync(join(out.path, 'instances.json'), 'utf8')) as CocoFile
    // Still a well-formed file, with the image and its annotation both left out (no annotation of a missing image).
    expect(cocoViolations(coco)).toEqual([])
    expect([coco.images.length, coco.annotations.length]).toEqual([0, 0])
  })
})
