import { isAbsolute, posix, resolve } from 'node:path'
import { toProjectPath } from '../images/project-path'
import type { ImageRef } from '../store/project-store'

/** The project image an annotation file names, or why there is none. */
export type ImageMatch = { readonly image: ImageRef } | { readonly problem: string }

/**
 * Finds the project image an annotation file means. Annotation files name images by a path relative to
 * some image folder (`file_name` in COCO, `imagePath` in labelme, the label file's own path in YOLO), and
 * that folder is rarely the project folder, so matching goes from exact to loose and stops at the first
 * rule that finds exactly one image:
 * 1. the path resolved against the image root is a project image;
 * 2. the path as given is a project path (relative to the project folder);
 * 3. a project path ends with the given path (`val2017/1.jpg` finds `data/coco/val2017/1.jpg`);
 * 4. the file name alone, when only one project image has it (compared without case).
 * Several images under rules 3 or 4 is a problem that names them, never a guess. With `ignoreExtension`
 * (YOLO labels name images by stem only) every rule compares paths without their extension.
 */
export class ProjectImageIndex {
  private readonly byPath = new Map<string, ImageRef>()
  private readonly byName = new Map<string, ImageRef[]>()
  private readonly byStemPath = new Map<string, ImageRef>()
  private readonly byStemName = new Map<string, ImageRef[]>()

  constructor(
    private readonly projectRoot: string,
    images: readonly ImageRef[]
  ) {
    for (const image of images) {
      this.byPath.set(image.path, image)
      const stemPath = dropExtension(image.path)
      this.byStemPath.set(stemPath, image)
      push(this.byName, lastSegment(image.path).toLowerCase(), image)
      push(this.byStemName, lastSegment(stemPath).toLowerCase(), image)
    }
  }

  /** Number of project images. */
  get size(): number {
    return this.byPath.size
  }

  /** Matches `name` (a path as an annotation file writes it) against the project's images. */
  match(name: string, imageRoot: string, ignoreExtension = false): ImageMatch {
    const given = name.replace(/\\/g, '/')
    const clean = posix.normalize(given).replace(/^(\.\.\/|\.\/)+/, '')
    const path = ignoreExtension ? dropExtension : (p: string) => p
    const exact = ignoreExtension ? this.byStemPath : this.byPath
    const rooted = exact.get(path(toProjectPath(this.projectRoot, resolve(imageRoot, given))))
    if (rooted) return { image: rooted }
    if (!isAbsolute(given)) {
      const direct = exact.get(path(clean))
      if (direct) return { image: direct }
    }
    const fileName = lastSegment(clean)
    const sameName = (ignoreExtension ? this.byStemName : this.byName).get(path(fileName).toLowerCase()) ?? []
    if (clean.includes('/')) {
      const suffix = `/${path(clean)}`
      const bySuffix = sameName.filter((image) => `/${path(image.path)}`.endsWith(suffix))
      if (bySuffix.length === 1) return { image: bySuffix[0]! }
      if (bySuffix.length > 1) return { problem: ambiguous(bySuffix) }
    }
    if (sameName.length === 1) return { image: sameName[0]! }
    if (sameName.length > 1) return { problem: ambiguous(sameName) }
    return { problem: `no project image matches "${name}" (by path below ${imageRoot}, project path, or file name)` }
  }
}

function ambiguous(images: readonly ImageRef[]): string {
  const shown = images.slice(0, 3).map((i) => i.path)
  const more = images.length > 3 ? `, and ${images.length - 3} more` : ''
  return `matches ${images.length} project images (${shown.join(', ')}${more}): set the image root so that paths decide`
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key)
  if (list) list.push(value)
  else map.set(key, [value])
}

function lastSegment(path: string): string {
  const i = path.lastIndexOf('/')
  return i < 0 ? path : path.slice(i + 1)
}

function dropExtension(path: string): string {
  const slash = path.lastIndexOf('/')
  const dot = path.lastIndexOf('.')
  return dot > slash + 1 ? path.slice(0, dot) : path
}
