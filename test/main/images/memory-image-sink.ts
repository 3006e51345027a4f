import type { ImageSink, NewImageRow } from '../../../src-main/images/import-images'

/** An ImageSink in memory, recording each insert call, for tests and benchmarks. */
export class MemoryImageSink implements ImageSink {
  readonly rows: NewImageRow[] = []
  readonly batches: number[] = []
  private readonly byHash = new Map<string, NewImageRow>()
  private readonly byPath = new Map<string, NewImageRow>()

  findByHash(hash: string): { path: string } | undefined {
    return this.byHash.get(hash)
  }

  findByPath(path: string): { contentHash: string } | undefined {
    return this.byPath.get(path)
  }

  insertImages(rows: readonly NewImageRow[]): void {
    for (const row of rows) {
      if (this.byPath.has(row.path)) throw new Error(`UNIQUE constraint failed: images.path (${row.path})`)
    }
    this.batches.push(rows.length)
    for (const row of rows) {
      this.rows.push(row)
      if (!this.byHash.has(row.contentHash)) this.byHash.set(row.contentHash, row)
      this.byPath.set(row.path, row)
    }
  }
}
