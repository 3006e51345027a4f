/**
 * The work of an image import job, independent of the database: scan the given paths, read and hash
 * each file, skip duplicates (against the project and within this import), decode and thumbnail the
 * rest, and hand rows to the store in batches. A bad file is reported and the rest goes on; a store
 * or disk failure stops the import, because it is not about one file.
 */
import { availableParallelism } from 'node:os'
import { isAbsolute } from 'node:path'
import type { ImportReportValue, ItemProblemValue } from '../../src-preload/contract'
import { CancellationError, throwIfAborted } from '../common/errors'
import { DEFAULT_MAX_PIXELS, isImageProblem } from './image-problem'
import { ImportProgressMeter, type ImportProgress } from './import-progress'
import { probeFileContent } from './probe'
import { toProjectPath } from './project-path'
import { readImageFile } from './read-image-file'
import { scanPaths } from './scan'
import { writeThumbnail } from './thumbnails'
import type { NewImageRow } from '../store/project-store'

/** The result of an import: counts, duplicates and failures, items named by their project path. */
export type ImportReport = ImportReportValue

/** A row for the images table, as the import produces it (defined with the store that keeps it). */
export type { NewImageRow }

/** Where imported images go; implemented by the project store. */
export interface ImageSink {
  /** The project's image with these bytes, if any. */
  findByHash(hash: string): { path: string } | undefined
  /** Inserts rows in one transaction. */
  insertImages(rows: readonly NewImageRow[]): void
  /**
   * Optional: the project's image at this path, if any. When present, a file whose path is already in
   * the project with other bytes is reported instead of failing the batch on the path's uniqueness.
   */
  findByPath?(path: string): { contentHash: string } | undefined
}

/** What to import and how. */
export interface ImportImagesOptions {
  /** Files and folders; relative ones resolve against the project root. */
  readonly paths: readonly string[]
  /** Descend into subfolders of the folders given. */
  readonly recursive: boolean
  /** Absolute path of the project folder. */
  readonly projectRoot: string
  readonly sink: ImageSink
  /** Largest width × height accepted; defaults to sharp's ≈ 268 MP. */
  readonly maxPixels?: number
  /** Files processed at once (2–4 keeps 2 cores busy while one file waits on the disk). */
  readonly concurrency?: number
  /** Rows per insert transaction (a batch is also flushed after a second). */
  readonly batchSize?: number
}

const FLUSH_AFTER_MS = 1000

type Outcome =
  | { readonly kind: 'image'; readonly row: NewImageRow }
  | { readonly kind: 'duplicate'; readonly item: string; readonly duplicateOf: string }
  | { readonly kind: 'failed'; readonly problem: ItemProblemValue }

/** Imports image files into a project; throws CancellationError when the signal aborts, keeping what was inserted. */
export async function importImages(
  options: ImportImagesOptions,
  onProgress: (progress: ImportProgress) => void,
  signal?: AbortSignal
): Promise<ImportReport> {
  const { paths, recursive, projectRoot, sink } = options
  const maxPixels = options.maxPixels ?? DEFAULT_MAX_PIXELS
  const concurrency = options.concurrency ?? Math.min(4, Math.max(2, availableParallelism()))
  const batchSize = options.batchSize ?? 200
  checkOptions(options, maxPixels, concurrency, batchSize)

  const startedAt = performance.now()
  const meter = new ImportProgressMeter(onProgress)
  throwIfAborted(signal)
  meter.update(0, null, 'Looking for images…', true)
  const scan = await scanPaths(
    paths,
    { recursive, projectRoot, onFound: (count) => meter.update(0, null, `Looking for images… ${count} found`) },
    signal
  )
  const files = scan.files
  const total = files.length
  const failed: ItemProblemValue[] = scan.problems.map((p) => ({ item: toProjectPath(projectRoot, p.path), reason: p.reason }))
  const skippedDuplicates: { item: string; duplicateOf: string }[] = []
  let imported = 0

  // Files finish out of order; rows are committed in scan order so image ids follow the sorted paths,
  // and so that of two identical files the first in order is the one imported.
  const outcomes = new Map<number, Outcome>()
  let committed = 0
  let batch: NewImageRow[] = []
  const batchHashes = new Map<string, string>()
  let lastFlush = performance.now()

  const flush = (): void => {
    if (batch.length > 0) {
      sink.insertImages(batch)
      imported += batch.length
    }
    batch = []
    batchHashes.clear()
    lastFlush = performance.now()
  }

  // Already in the project, or imported earlier in this run (inserted, or waiting in the batch).
  const existingCopy = (hash: string): string | undefined => batchHashes.get(hash) ?? sink.findByHash(hash)?.path

  const commitReady = (): void => {
    for (let outcome = outcomes.get(committed); outcome !== undefined; outcome = outcomes.get(committed)) {
      outcomes.delete(committed)
      committed++
      if (outcome.kind === 'failed') failed.push(outcome.problem)
      else if (outcome.kind === 'duplicate') skippedDuplicates.push({ item: outcome.item, duplicateOf: outcome.duplicateOf })
      else {
        const copy = existingCopy(outcome.row.contentHash)
        if (copy !== undefined) skippedDuplicates.push({ item: outcome.row.path, duplicateOf: copy })
        else {
          batch.push(outcome.row)
          batchHashes.set(outcome.row.contentHash, outcome.row.path)
          if (batch.length >= batchSize) flush()
        }
      }
    }
    if (batch.length > 0 && performance.now() - lastFlush >= FLUSH_AFTER_MS) flush()
    // Finished files count as done even while an earlier, slower one holds up their commit.
    const done = committed + outcomes.size
    meter.update(done, total, files[committed - 1] === undefined ? null : toProjectPath(projectRoot, files[committed - 1]!))
  }

  const processFile = async (absPath: string): Promise<Outcome> => {
    const item = toProjectPath(projectRoot, absPath)
    try {
      const file = await readImageFile(absPath)
      // Checked before decoding so that re-importing a folder costs a read and a hash per file, no more.
      const copy = existingCopy(file.contentHash)
      if (copy !== undefined) return { kind: 'duplicate', item, duplicateOf: copy }
      const known = sink.findByPath?.(item)
      if (known !== undefined) {
        return { kind: 'failed', problem: { item, reason: 'already in the project with different content (the file changed since it was imported)' } }
      }
      const probe = await probeFileContent(file, { maxPixels })
      if (!probe.ok) return { kind: 'failed', problem: { item, reason: probe.reason } }
      const { image } = probe
      await writeThumbnail(projectRoot, image.contentHash, image.thumbnail)
      return {
        kind: 'image',
        row: {
          path: item,
          width: image.width,
          height: image.height,
          orientation: image.orientation,
          fileSize: image.fileSize,
          contentHash: image.contentHash,
          format: image.format
        }
      }
    } catch (error) {
      if (isImageProblem(error)) return { kind: 'failed', problem: { item, reason: error.message } }
      throw error
    }
  }

  meter.start()
  meter.update(0, total, null, true)
  let next = 0
  let stopped = false
  const worker = async (): Promise<void> => {
    while (!stopped && next < total) {
      if (signal?.aborted) return
      const index = next++
      const outcome = await processFile(files[index]!)
      if (stopped) return
      outcomes.set(index, outcome)
      commitReady()
    }
  }

  const workers = Promise.all(Array.from({ length: Math.min(concurrency, Math.max(1, total)) }, worker))
  try {
    await raceAbort(workers, signal)
  } catch (error) {
    stopped = true
    // Files still being decoded are abandoned; their late failures have nobody left to tell.
    workers.catch(() => undefined)
    if (error instanceof CancellationError) flush() // what was fully processed before the cancel is kept
    throw error
  }
  flush()
  // Workers only stop short when the signal aborted; a cancel after the last file changes nothing.
  if (committed < total) throw new CancellationError()
  meter.update(committed, total, null, true)
  return { imported, skippedDuplicates, failed, elapsedSeconds: (performance.now() - startedAt) / 1000 }
}

/** Resolves with the work, or rejects with CancellationError as soon as the signal aborts. */
function raceAbort<T>(work: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return work
  return new Promise<T>((resolvePromise, reject) => {
    const onAbort = (): void => reject(new CancellationError())
    if (signal.aborted) return onAbort()
    signal.addEventListener('abort', onAbort, { once: true })
    work.then(
      (value) => {
        signal.removeEventListener('abort', onAbort)
        resolvePromise(value)
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort)
        reject(error)
      }
    )
  })
}

function checkOptions(options: ImportImagesOptions, maxPixels: number, concurrency: number, batchSize: number): void {
  if (!Array.isArray(options.paths) || options.paths.some((p) => typeof p !== 'string' || p.length === 0)) {
    throw new TypeError('paths must be an array of non-empty strings')
  }
  if (typeof options.projectRoot !== 'string' || !isAbsolute(options.projectRoot)) {
    throw new TypeError(`projectRoot must be an absolute path, got ${JSON.stringify(options.projectRoot)}`)
  }
  if (!Number.isFinite(maxPixels) || maxPixels < 1) throw new RangeError(`maxPixels must be a positive number, got ${maxPixels}`)
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 32) {
    throw new RangeError(`concurrency must be an integer from 1 to 32, got ${concurrency}`)
  }
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError(`batchSize must be a positive integer, got ${batchSize}`)
}
