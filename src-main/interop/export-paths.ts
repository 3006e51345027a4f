import { extname, isAbsolute, relative, sep } from 'node:path'
import { resolveProjectPath } from '../images/project-path'

/** How an exported image is named: in annotation files, and as a copy inside the export. */
export interface ExportNames {
  /** Path relative to the image root with '/' separators (starts with ../ when the image lies outside it). */
  readonly relativeToRoot: string
  /** True when the image lies outside the image root. */
  readonly outside: boolean
  /** Where a copy goes, relative to the export's image folder: never leaves it, never collides. */
  readonly copyName: string
  /** `copyName` without its extension: the name of the image's per-image files (labels, masks). */
  readonly stem: string
}

// Formats that a baked (re-encoded) copy keeps; anything else is baked to PNG, which every loader reads.
const BAKED_KEEPS = new Set(['jpeg', 'png'])

/** The file extension a copy of an image gets: unchanged, unless baking EXIF orientation re-encodes it to PNG. */
export function copyExtension(path: string, format: string, orientation: number): string {
  const ext = extname(path)
  if (orientation === 1 || BAKED_KEEPS.has(format)) return ext
  return '.png'
}

/**
 * Names images for one export. Copies keep their path below the image root; images outside it go to
 * `external/<id>-<name>`. Names are made unique case-insensitively (Windows and macOS folders are) and by
 * stem (YOLO finds `labels/x.txt` for `images/x.jpg`, so x.jpg and x.png would share one label file).
 */
export class ExportNamer {
  private readonly used = new Set<string>()

  constructor(
    private readonly projectRoot: string,
    private readonly imageRoot: string
  ) {}

  /** Names one image; call once per image. */
  name(image: { readonly id: number; readonly path: string; readonly format: string; readonly orientation: number }): ExportNames {
    const absolute = resolveProjectPath(this.projectRoot, image.path)
    const rel = relative(this.imageRoot, absolute)
    const outside = rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel)
    const relativeToRoot = (outside && isAbsolute(rel) ? absolute : rel).split(sep).join('/')
    const base = outside ? `external/${image.id}-${baseName(absolute)}` : relativeToRoot
    const ext = extname(base)
    let stem = base.slice(0, base.length - ext.length)
    const copyExt = copyExtension(base, image.format, image.orientation)
    if (this.used.has(stem.toLowerCase())) stem = `${stem}-${image.id}`
    this.used.add(stem.toLowerCase())
    return { relativeToRoot, outside, copyName: `${stem}${copyExt}`, stem }
  }
}

function baseName(path: string): string {
  const parts = path.split(/[\\/]/)
  return parts[parts.length - 1] ?? path
}
