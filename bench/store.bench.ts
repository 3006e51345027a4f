import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect, test } from 'vitest'
import { ProjectStore } from '../src-main/store/project-store'

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!

// What the UI's virtualised list costs at 10,000 images: one page per scroll step, plus the saves an
// annotator makes (each a durable transaction).
test('store: list pages of 10,000 images and save instances', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rose-bench-store-'))
  const store = ProjectStore.open(dir)
  try {
    const rows = Array.from({ length: 10_000 }, (_, i) => ({
      path: `images/${String(i).padStart(5, '0')}.jpg`,
      width: 640,
      height: 480,
      orientation: 1,
      fileSize: 50_000,
      contentHash: `h${i}`,
      format: 'jpeg'
    }))
    let t = performance.now()
    for (let i = 0; i < rows.length; i += 200) store.insertImages(rows.slice(i, i + 200))
    const insertMs = performance.now() - t

    const pageTimes: number[] = []
    for (let k = 0; k < 200; k++) {
      const offset = (k * 997) % 9_900
      t = performance.now()
      const page = store.listImages({ offset, limit: 100 })
      pageTimes.push(performance.now() - t)
      expect(page.items).toHaveLength(100)
    }
    pageTimes.sort((a, b) => a - b)

    const saveTimes: number[] = []
    for (let k = 0; k < 200; k++) {
      t = performance.now()
      store.createInstance({
        imageId: 1 + (k % 50),
        rle: { size: [480, 640], counts: 'PZ21' },
        bbox: [0, 0, 10, 10],
        area: 100,
        categoryText: `object ${k % 7}`,
        status: 'accepted',
        source: 'human'
      })
      saveTimes.push(performance.now() - t)
    }
    saveTimes.sort((a, b) => a - b)
    console.log(
      `store: insert 10,000 images in batches of 200: ${insertMs.toFixed(0)} ms; ` +
        `list page of 100: p50 ${percentile(pageTimes, 0.5).toFixed(2)} ms, p95 ${percentile(pageTimes, 0.95).toFixed(2)} ms; ` +
        `save one instance (durable): p50 ${percentile(saveTimes, 0.5).toFixed(2)} ms, p95 ${percentile(saveTimes, 0.95).toFixed(2)} ms`
    )
  } finally {
    store.close()
    rmSync(dir, { recursive: true, force: true })
  }
})
