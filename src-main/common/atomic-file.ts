/** Whole small files written atomically: readers see the old file or the new one, never half of one. */
import { randomBytes } from 'node:crypto'
import { mkdir, rename, rm, writeFile } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'

/** A hidden, unique temporary name beside `path`, on the same file system so the final rename is atomic. */
export function temporarySibling(path: string): string {
  return join(dirname(path), `.${basename(path)}.${randomBytes(4).toString('hex')}.tmp`)
}

/**
 * Writes a whole small file atomically (temporary sibling, then rename). No disk sync: the rename alone
 * already keeps a killed process from leaving a half file, and ten thousand syncs (an export's
 * per-image files, a cache's thumbnails) would dominate the work.
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  await mkdir(dirname(path), { recursive: true })
  const temporary = temporarySibling(path)
  try {
    await writeFile(temporary, data, { flag: 'wx' })
    await rename(temporary, path)
  } catch (error) {
    await rm(temporary, { force: true })
    throw error
  }
}
