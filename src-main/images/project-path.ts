/**
 * How image files are named inside a project: paths relative to the project folder with '/'
 * separators, so a project folder can be moved or shared between Windows, macOS and Linux.
 */
import { isAbsolute, join, relative, resolve, sep } from 'node:path'

/** The project's internal folder (database, caches); the store uses the same name. */
export const ROSE_DIR = '.rose'

/** A folder inside the project's `.rose/`, e.g. `roseDir(root, 'thumbs')`. */
export function roseDir(projectRoot: string, ...parts: string[]): string {
  return join(projectRoot, ROSE_DIR, ...parts)
}

/**
 * The path stored for a file: relative to the project root with '/' separators when the file lies
 * inside the project folder; the absolute path (with '/' separators) when it lies outside, because a
 * "../../.." path breaks as soon as the project folder moves while the images stay put.
 */
export function toProjectPath(projectRoot: string, absPath: string): string {
  const rel = relative(resolve(projectRoot), resolve(absPath))
  const outside = rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel)
  return (outside ? resolve(absPath) : rel).split(sep).join('/')
}

/** The absolute file path for a stored project path (relative or absolute). */
export function resolveProjectPath(projectRoot: string, projectPath: string): string {
  return resolve(projectRoot, projectPath.split('/').join(sep))
}

/** True when an absolute path is the project's `.rose/` folder or inside it. */
export function isInsideRoseDir(projectRoot: string, absPath: string): boolean {
  const rel = relative(roseDir(projectRoot), resolve(absPath))
  return rel === '' || !(rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel))
}
