/**
 * Expands what the user picked (files and folders) into the image files to import, in a stable order:
 * each folder's entries sorted by name (numbers in names compared as numbers, so img2 < img10),
 * depth first. Inside folders, hidden entries, the project's `.rose/` and files without a supported
 * extension are skipped silently; a file the user named explicitly is always either a candidate or
 * reported with a reason.
 */
import type { Dirent } from 'node:fs'
import { readdir, realpath, stat } from 'node:fs/promises'
import { basename, extname, join, resolve } from 'node:path'
import { throwIfAborted } from '../common/errors'
import { hasSupportedExtension } from './formats'
import { imageProblems } from './image-problem'
import { isInsideRoseDir } from './project-path'

/** Options for scanning. */
export interface ScanOptions {
  /** Descend into subfolders of the folders given. */
  readonly recursive: boolean
  /** The project folder: its `.rose/` is never scanned. Relative inputs resolve against it. */
  readonly projectRoot: string
  /** Called now and then with the number of candidates found so far. */
  readonly onFound?: (count: number) => void
}

/** A path given to the scan that cannot be imported. */
export interface ScanProblem {
  /** Absolute path. */
  readonly path: string
  readonly reason: string
}

/** Candidates (absolute paths, deduplicated, in scan order) and problems with the given paths. */
export interface ScanResult {
  readonly files: readonly string[]
  readonly problems: readonly ScanProblem[]
}

const collator = new Intl.Collator('en', { numeric: true, sensitivity: 'variant' })

/** Name order used for every folder: natural, then by code unit so the order is total. */
export function compareNames(a: string, b: string): number {
  return collator.compare(a, b) || (a < b ? -1 : a > b ? 1 : 0)
}

/** Expands files and folders into candidate image files. Throws CancellationError when aborted. */
export async function scanPaths(paths: readonly string[], options: ScanOptions, signal?: AbortSignal): Promise<ScanResult> {
  const files: string[] = []
  const seen = new Set<string>()
  const problems: ScanProblem[] = []
  const visitedFolders = new Set<string>()
  let lastNotified = 0

  const addFile = (path: string): void => {
    if (seen.has(path)) return
    seen.add(path)
    files.push(path)
    if (options.onFound !== undefined && files.length - lastNotified >= 100) {
      lastNotified = files.length
      options.onFound(files.length)
    }
  }

  const walk = async (folder: string, descend: boolean): Promise<void> => {
    throwIfAborted(signal)
    // Symbolic links may make a folder its own descendant; visit each real folder once.
    const real = await realpath(folder)
    if (visitedFolders.has(real)) return
    visitedFolders.add(real)
    let entries: Dirent[]
    try {
      entries = await readdir(folder, { withFileTypes: true })
    } catch (error) {
      problems.push({ path: folder, reason: imageProblems.unreadable(error).message })
      return
    }
    entries.sort((a, b) => compareNames(a.name, b.name))
    for (const entry of entries) {
      if (entry.name.startsWith('.')) continue
      const path = join(folder, entry.name)
      if (isInsideRoseDir(options.projectRoot, path)) continue
      let isFile = entry.isFile()
      let isFolder = entry.isDirectory()
      if (entry.isSymbolicLink()) {
        const target = await stat(path).catch(() => undefined)
        isFile = target?.isFile() ?? false
        isFolder = target?.isDirectory() ?? false
      }
      if (isFile && hasSupportedExtension(entry.name)) addFile(path)
      else if (isFolder && descend) await walk(path, true)
    }
  }

  for (const given of paths) {
    throwIfAborted(signal)
    const path = resolve(options.projectRoot, given)
    if (isInsideRoseDir(options.projectRoot, path)) {
      problems.push({ path, reason: "inside the project's internal .rose folder" })
      continue
    }
    let info
    try {
      info = await stat(path)
    } catch (error) {
      problems.push({ path, reason: imageProblems.unreadable(error).message })
      continue
    }
    if (info.isDirectory()) await walk(path, options.recursive)
    else if (hasSupportedExtension(basename(path))) addFile(path)
    else problems.push({ path, reason: imageProblems.unsupportedExtension(extname(path).toLowerCase()).message })
  }
  options.onFound?.(files.length)
  return { files, problems }
}
