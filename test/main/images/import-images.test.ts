import { access, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import sharp from 'sharp'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { ImportReportValue } from '../../../src-preload/contract'
import { CancellationError } from '../../../src-main/common/errors'
import { hashBytes } from '../../../src-main/images/content-hash'
import { importImages, type ImageSink } from '../../../src-main/images/import-images'
import type { ImportProgress } from '../../../src-main/images/import-progress'
import { thumbnailPath } from '../../../src-main/images/thumbnails'
import { encode, makeTempDir, noise, put } from './image-factory'
import { MemoryImageSink } from './memory-image-sink'

const MIXED = join(__dirname, '../../fixtures/images/mixed')

let dir: Awaited<ReturnType<typeof makeTempDir>>
let root: string
beforeEach(async () => {
  dir = await makeTempDir()
  root = dir.path
})
afterEach(() => dir.dispose())

async function makeImages(folder: string, count: number, size = 24): Promise<void> {
  for (let i = 0; i < count; i++) {
    await put(join(root, folder, `img-${i}.png`), await noise(size, size, i + 1).png({ compressionLevel: 1 }).toBuffer())
  }
}

function run(sink: ImageSink, paths: string[], extra: Partial<Parameters<typeof importImages>[0]> = {}, signal?: AbortSignal) {
  const progress: ImportProgress[] = []
  const done = importImages({ paths, recursive: true, projectRoot: root, sink, ...extra }, (p) => progress.push(p), signal)
  return { done, progress }
}

describe('importImages', () => {
  it('imports a folder: oriented sizes, project-relative paths in sorted order, thumbnails on disk', async () => {
    const jpeg = await noise(40, 30).withMetadata({ orientation: 6 }).jpeg().toBuffer()
    await put(join(root, 'images/b/rotated.jpg'), jpeg)
    await put(join(root, 'images/a.webp'), await encode(noise(20, 10), 'webp'))
    const sink = new MemoryImageSink()
    const report = await run(sink, ['images']).done
    expect(report).toMatchObject({ imported: 2, skippedDuplicates: [], failed: [] })
    expect(sink.rows).toEqual([
      expect.objectContaining({ path: 'images/a.webp', width: 20, height: 10, orientation: 1, format: 'webp' }),
      {
        path: 'images/b/rotated.jpg',
        width: 30,
        height: 40,
        orientation: 6,
        fileSize: jpeg.length,
        contentHash: hashBytes(jpeg),
        format: 'jpeg'
      }
    ])
    const thumb = await sharp(thumbnailPath(root, hashBytes(jpeg))).metadata()
    expect([thumb.format, thumb.width, thumb.height]).toEqual(['webp', 30, 40])
  })

  it('skips duplicates within one import and against the project, naming what each duplicates', async () => {
    const bytes = await encode(noise(16, 16, 5), 'png')
    await put(join(root, 'in/first.png'), bytes)
    await put(join(root, 'in/second.png'), bytes)
    await put(join(root, 'in/other.png'), await encode(noise(16, 16, 6), 'png'))
    const sink = new MemoryImageSink()
    const first = await run(sink, ['in']).done
    expect(first.imported).toBe(2)
    expect(first.skippedDuplicates).toEqual([{ item: 'in/second.png', duplicateOf: 'in/first.png' }])

    await put(join(root, 'later/copy.png'), bytes)
    const second = await run(sink, ['later', 'in']).done
    expect(second.imported).toBe(0)
    expect(second.skippedDuplicates).toEqual([
      { item: 'later/copy.png', duplicateOf: 'in/first.png' },
      { item: 'in/first.png', duplicateOf: 'in/first.png' },
      { item: 'in/other.png', duplicateOf: 'in/other.png' },
      { item: 'in/second.png', duplicateOf: 'in/first.png' }
    ])
    expect(sink.rows.map((r) => r.path)).toEqual(['in/first.png', 'in/other.png'])
  })

  it('reports each bad file of the committed mixed folder by name and imports the good ones', async () => {
    const expected = JSON.parse(await readFile(join(__dirname, '../../fixtures/images/mixed.expected.json'), 'utf8')) as {
      imported: string[]
      skippedDuplicates: ImportReportValue['skippedDuplicates']
      failed: ImportReportValue['failed']
    }
    const sink = new MemoryImageSink()
    // The fixture folder is outside this project: its files are named by absolute path.
    const report = await run(sink, [MIXED]).done
    const strip = (p: string): string => p.slice(MIXED.length + 1)
    expect(sink.rows.map((r) => strip(r.path))).toEqual(expected.imported)
    expect(report.skippedDuplicates.map((d) => ({ item: strip(d.item), duplicateOf: strip(d.duplicateOf) }))).toEqual(expected.skippedDuplicates)
    expect(report.failed.map((f) => ({ item: strip(f.item), reason: f.reason }))).toEqual(expected.failed)
    expect(report.imported).toBe(expected.imported.length)
  })

  it('sends rows in batches of at most batchSize, in scan order', async () => {
    await makeImages('many', 23)
    const sink = new MemoryImageSink()
    const report = await run(sink, ['many'], { batchSize: 5, concurrency: 3 }).done
    expect(report.imported).toBe(23)
    expect(sink.batches).toEqual([5, 5, 5, 5, 3])
    expect(sink.rows.map((r) => r.path)).toEqual(Array.from({ length: 23 }, (_, i) => `many/img-${i}.png`).sort((a, b) => a.localeCompare(b, 'en', { numeric: true })))
  })

  it('reports throttled progress with count, total, rate and ETA, ending at the total', async () => {
    await makeImages('p', 40, 64)
    const sink = new MemoryImageSink()
    const { done, progress } = run(sink, ['p'])
    await done
    const last = progress.at(-1)!
    expect([last.done, last.total]).toEqual([40, 40])
    expect(progress[0]).toMatchObject({ done: 0, total: null })
    const counts = progress.map((p) => p.done)
    expect(counts).toEqual([...counts].sort((a, b) => a - b))
    expect(progress.length).toBeLessThan(40)
    const withRate = progress.filter((p) => p.ratePerSecond !== null)
    for (const p of withRate) {
      expect(p.ratePerSecond).toBeGreaterThan(0)
      expect(p.etaSeconds).toBeCloseTo((40 - p.done) / p.ratePerSecond!, 6)
    }
  })

  it('EXPECTED FAILURE – stops with CancellationError when aborted, keeping what it inserted, and a rerun completes the rest', async () => {
    await makeImages('c', 30, 48)
    const sink = new MemoryImageSink()
    const controller = new AbortController()
    let cancelledAt = 0
    const { done } = run(sink, ['c'], { batchSize: 2, concurrency: 2 }, controller.signal)
    const watcher = setInterval(() => {
      if (sink.rows.length >= 4 && !controller.signal.aborted) {
        cancelledAt = performance.now()
        controller.abort()
      }
    }, 1)
    await expect(done).rejects.toBeInstanceOf(CancellationError)
    clearInterval(watcher)
    expect(performance.now() - cancelledAt).toBeLessThan(200)
    const kept = sink.rows.length
    expect(kept).toBeGreaterThanOrEqual(4)
    expect(kept).toBeLessThan(30)

    const rerun = await run(sink, ['c']).done
    expect(rerun.imported).toBe(30 - kept)
    expect(rerun.skippedDuplicates).toHaveLength(kept)
    expect(new Set(sink.rows.map((r) => r.path)).size).toBe(30)
  })

  it('EXPECTED FAILURE – does nothing when the signal is already aborted', async () => {
    await makeImages('x', 2)
    const sink = new MemoryImageSink()
    await expect(run(sink, ['x'], {}, AbortSignal.abort()).done).rejects.toBeInstanceOf(CancellationError)
    expect(sink.rows).toEqual([])
  })

  it('applies the pixel limit it is given', async () => {
    await put(join(root, 'big.png'), await encode(noise(50, 50), 'png'))
    await put(join(root, 'small.png'), await encode(noise(10, 10), 'png'))
    const sink = new MemoryImageSink()
    const report = await run(sink, ['big.png', 'small.png'], { maxPixels: 1000 }).done
    expect(report.imported).toBe(1)
    expect(report.failed).toEqual([{ item: 'big.png', reason: 'too many pixels: 50×50 (2500 pixels) is over the limit of 1000 pixels' }])
  })

  it('EXPECTED FAILURE – reports a path already in the project whose file changed, instead of failing the batch', async () => {
    const path = join(root, 'changing.png')
    await writeFile(path, await encode(noise(12, 12, 1), 'png'))
    const sink = new MemoryImageSink()
    await run(sink, ['changing.png']).done
    await writeFile(path, await encode(noise(12, 12, 2), 'png'))
    const report = await run(sink, ['changing.png']).done
    expect(report.failed).toEqual([
      { item: 'changing.png', reason: 'already in the project with different content (the file changed since it was imported)' }
    ])
  })

  it('BAD CALL – rejects a relative project root and an out-of-range concurrency, naming the parameter', async () => {
    const sink = new MemoryImageSink()
    await expect(importImages({ paths: [], recursive: true, projectRoot: 'rel', sink }, () => undefined)).rejects.toThrow(TypeError)
    await expect(importImages({ paths: [], recursive: true, projectRoot: root, sink, concurrency: 0 }, () => undefined)).rejects.toThrow(
      'concurrency must be an integer from 1 to 32, got 0'
    )
  })

  it('returns an empty report for an empty folder', async () => {
    await put(join(root, 'empty/readme.txt'), 'nothing here')
    const report = await run(new MemoryImageSink(), ['empty']).done
    expect({ ...report, elapsedSeconds: 0 }).toEqual({ imported: 0, skippedDuplicates: [], failed: [], elapsedSeconds: 0 })
  })

  it('writes no thumbnail for a file that fails', async () => {
    const jpeg = await encode(noise(100, 100), 'jpeg')
    const cut = jpeg.subarray(0, jpeg.length >> 1)
    await put(join(root, 'cut.jpg'), cut)
    await run(new MemoryImageSink(), ['cut.jpg']).done
    await expect(access(thumbnailPath(root, hashBytes(cut)))).rejects.toThrow()
  })
})

