/** Small file helpers for the image caches (thumbnails, display images); writes go through common/atomic-file. */
import { access } from 'node:fs/promises'

/** True when a cached file exists. */
export async function fileExists(path: string): Promise<boolean> {
  try {
    await access(path)
    return true
  } catch {
    return false
  }
}
