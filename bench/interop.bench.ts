import { mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { runAnnotationImport } from '../src-main/interop/annotation-import-job'
import { runExport } from '../src-main/interop/export-job'
import { area, compress, encodeRowMajor, toBbox } from '../src-main/masks/rle'
import { ProjectStore, type ImportedInstance, type NewImageRow } from '../src-main/store/project-store'
import { AnnotationImportRequest, ExportOptions } from '../src-preload/contract'

// COCO export and import at the scale of a real labelling project: 100,000 instances over 10,000 images
// of 640x480, with 20 categories. Rows go straight into the store (an RLE export needs no image files).
// BENCH_IMAGES=1000 gives a quick run.
const IMAGES = Number(process.env.BENCH_IMAGES ?? 10_000)
const PER_IMAGE = 10
const W = 640
const H = 480

function ellipseMask(cx: number, cy: number, rx: number, ry: number): Uint8Array {
  const m = new Uint8Array(W * H)
  for (let y = Math.max(0, Math.floor(cy - ry)); y < Math.min(H, Math.ceil(cy + ry)); y++) {
    for (let x = Math.max(0, Math.floor(cx - rx)); x < Math.min(W, Math.ceil(cx + rx)); x++) {
      if (((x - cx) / rx) ** 2 + ((y - cy) / ry) ** 2 <= 1) m[y * W + x] = 1
    }
  }
  return m
}

/**
 * Peak resident memory and peak JS heap while `work` runs, sampled every 10 ms. The heap figure includes
 * garbage not yet collected, so it is an upper bound on what the work holds.
 */
async function withPeakRss<T>(work: () => Promise<T>): Promise<{ result: T; seconds: number; peakMb: number; baseMb: number; heapMb: number }> {
  const base = process.memoryUsage().rss
  let peak = base
  let heap = 0
  const sample = () => {
    const usage = process.memoryUsage()
    peak = Math.max(peak, usage.rss)
    heap = Math.max(heap, usage.heapUsed)
  }
  const timer = setInterval(sample, 10)
  const started = performance.now()
  try {
    const result = await work()
    sample()
    return { result, seconds: (performance.now() - started) / 1000, peakMb: peak / 2 ** 20, baseMb: base / 2 ** 20, heapMb: heap / 2 ** 20 }
  } finally {
    clearInterval(timer)
  }
}

function fillProject(root: string, withInstances: boolean): ProjectStore {
  const store = ProjectStore.open(root)
  const rows: NewImageRow[] = []
  for (let i = 0; i < IMAGES; i++) {
    rows.push({ path: `images/${String(i).padStart(5, '0')}.jpg`, width: W, height: H, orientation: 1, fileSize: 1, contentHash: `h${i}`, format: 'jpeg' })
  }
  store.insertImages(rows)
  if (!withInstances) return store
  // 50 distinct masks of various sizes, reused across images (the store does not care that they repeat).
  const masks = Array.from({ length: 50 }, (_, k) => {
    const runs = encodeRowMajor(ellipseMask(40 + ((k * 97) % 560), 40 + ((k * 61) % 400), 8 + (k % 7) * 12, 6 + (k % 5) * 14), H, W)
    const rle = compress(runs)
    return { rle: { size: [H, W] as [number, number], counts: rle.counts }, area: area(runs), bbox: toBbox(runs) }
  })
  const names = Array.from({ length: 20 }, (_, k) => ({ name: `category ${k}` }))
  const categories = store.resolveCategories(names, true)
  let batch: ImportedInstance[] = []
  for (let i = 0; i < IMAGES; i++) {
    for (let j = 0; j < PER_IMAGE; j++) {
      const mask = masks[(i * 7 + j * 13) % masks.length]!
      const category = categories.get(names[(i + j) % names.length]!.name)!
      batch.push({ imageId: i + 1, ...mask, categoryText: category.name, categoryId: category.id, status: 'accepted', source: 'human' })
    }
    if (batch.length >= 20_000) {
      store.insertImportedInstances(batch)
      batch = []
    }
  }
  store.insertImportedInstances(batch)
  return store
}

describe('interop at scale', () => {
  it(`exports ${IMAGES * PER_IMAGE} instances over ${IMAGES} images as COCO RLE, and imports the file back`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rose-bench-interop-'))
    try {
      const setupStarted = performance.now()
      const source = fillProject(join(dir, 'source'), true)
      const target = fillProject(join(dir, 'target'), false)
      const setupSeconds = (performance.now() - setupStarted) / 1000

      const exported = await withPeakRss(() => runExport(source, ExportOptions.parse({ format: 'coco' }), join(dir, 'out'), () => {}))
      const file = join(dir, 'out', 'instances.json')
      expect(exported.result.instances).toBe(IMAGES * PER_IMAGE)
      const fileMb = statSync(file).size / 2 ** 20

      const imported = await withPeakRss(() =>
        runAnnotationImport(target, AnnotationImportRequest.parse({ format: 'coco', path: file, imageRoot: target.root }), () => {})
      )
      expect(imported.result).toMatchObject({ instancesImported: IMAGES * PER_IMAGE, problemCount: 0 })

      const polygons = await withPeakRss(() =>
        runExport(source, ExportOptions.parse({ format: 'coco', segmentation: 'polygon' }), join(dir, 'out-polygons'), () => {})
      )

      console.log(`set-up (store rows only): ${setupSeconds.toFixed(1)} s`)
      console.log(
        `COCO RLE export: ${exported.seconds.toFixed(2)} s for ${IMAGES * PER_IMAGE} instances / ${IMAGES} images, ` +
          `file ${fileMb.toFixed(1)} MB, peak RSS ${exported.peakMb.toFixed(0)} MB (${(exported.peakMb - exported.baseMb).toFixed(0)} MB above the start), ` +
          `peak JS heap ${exported.heapMb.toFixed(0)} MB`
      )
      console.log(
        `COCO import of that file: ${imported.seconds.toFixed(2)} s, peak RSS ${imported.peakMb.toFixed(0)} MB ` +
          `(${(imported.peakMb - imported.baseMb).toFixed(0)} MB above the start), peak JS heap ${imported.heapMb.toFixed(0)} MB`
      )
      console.log(
        `COCO polygon export (exact outlines, holes cut in): ${polygons.seconds.toFixed(2)} s, peak RSS ${polygons.peakMb.toFixed(0)} MB`
      )
      source.close()
      target.close()
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
