import { readdir, stat } from 'node:fs/promises'
import { join, relative, sep } from 'node:path'
import { ExpectedError, errorMessage } from '../common/errors'

/**
 * Files with one of `extensions` (lower case, with the dot) below `folder`, recursively, sorted, skipping
 * hidden folders (a project's `.rose/`, `.git/`). Paths are absolute.
 */
export async function listFiles(folder: string, extensions: readonly string[]): Promise<string[]> {
  const out: string[] = []
  const walk = async (dir: string): Promise<void> => {
    const entries = await readdir(dir, { withFileTypes: true })
    for (const entry of entries) {
      if (entry.name.startsWith('.')) continue
      const path = join(dir, entry.name)
      if (entry.isDirectory()) await walk(path)
      else if (entry.isFile() && extensions.some((ext) => entry.name.toLowerCase().endsWith(ext))) out.push(path)
    }
  }
  await walk(folder)
  return out.sort()
}

/** Whether a path is a folder or a file; a missing path fails the import with the path and the reason. */
export async function pathKind(path: string): Promise<'folder' | 'file'> {
  try {
    return (await stat(path)).isDirectory() ? 'folder' : 'file'
  } catch (error) {
    throw new ExpectedError('NOT_FOUND', `cannot read ${path}: ${errorMessage(error)}`, { cause: error })
  }
}

/** A path below `root` with '/' separators, for reports. */
export function displayPath(root: string, path: string): string {
  return relative(root, path).split(sep).join('/') || path
}
