import { readFile } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import { setImmediate as yieldToEventLoop } from 'node:timers/promises'
import { parse as parseYaml } from 'yaml'
import { ExpectedError, errorMessage, throwIfAborted } from '../common/errors'
import { frPolygons } from '../masks/rle'
import { orientRings } from './annotation-frame'
import { displayPath, listFiles, pathKind } from './annotation-files'
import type { ImportContext } from './import-context'
import { orientedSize, normalizeOrientation } from '../images/orientation'

// Top-level text files of a YOLO dataset that list images rather than label one.
const NOT_LABELS = new Set(['classes.txt', 'train.txt', 'val.txt', 'test.txt'])

/**
 * Imports a YOLO segmentation dataset: a folder holding `data.yaml` (or `classes.txt`) and `labels/`, or
 * the data.yaml file itself. Every `labels/**.txt` file is matched to the project image with the same path
 * below `images/` (ignoring the extension), then by path suffix and file name. Each line
 * `class x1 y1 x2 y2 …` is one instance, its polygon filled even-odd (as ultralytics' cv2.fillPoly does)
 * after scaling the 0–1 coordinates to the image. ultralytics applies EXIF orientation before it
 * normalises, so coordinates are taken as upright unless the import forces the stored frame; a
 * normalised file carries no size that could tell. Lines are checked as ultralytics checks them: a known
 * class, an even number of coordinates, at least 3 points, every value within 0–1.
 */
export async function importYoloSeg(context: ImportContext): Promise<void> {
  const kind = await pathKind(context.path)
  const root = kind === 'folder' ? context.path : dirname(context.path)
  const names = await classNames(root, kind === 'file' ? context.path : null)
  const labelsDir = (await pathKind(join(root, 'labels')).catch(() => null)) === 'folder' ? join(root, 'labels') : root
  const files = (await listFiles(labelsDir, ['.txt'])).filter((f) => labelsDir !== root || !NOT_LABELS.has(basename(f)))
  const imagesDir = join(root, 'images')
  for (let f = 0; f < files.length; f++) {
    throwIfAborted(context.signal)
    const file = files[f]!
    const item = displayPath(root, file)
    await importLabelFile(context, file, item, displayPath(labelsDir, file).replace(/\.txt$/i, ''), imagesDir, names)
    context.sink.endImage()
    context.progress(f + 1, files.length, 'importing YOLO labels')
    if (f % 100 === 99) await yieldToEventLoop()
  }
}

async function importLabelFile(
  context: ImportContext,
  file: string,
  item: string,
  stem: string,
  imagesDir: string,
  names: readonly string[]
): Promise<void> {
  const { problems, request, counts } = context
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (error) {
    return problems.add(item, `cannot read: ${errorMessage(error)}`)
  }
  const match = context.index.match(stem, imagesDir, true)
  if ('problem' in match) {
    counts.imagesUnmatched++
    return problems.add(item, match.problem)
  }
  const image = match.image
  counts.imagesMatched++
  const orientation = normalizeOrientation(image.orientation)
  const stored = request.frame === 'stored' && orientation !== 1
  if (stored) counts.imagesConvertedFromStoredFrame++
  const size = stored ? orientedSize(image, orientation) : { width: image.width, height: image.height }
  const lines = text.split(/\r?\n/)
  for (let n = 0; n < lines.length; n++) {
    const line = lines[n]!.trim()
    if (line === '') continue
    const lineItem = `${item} line ${n + 1}`
    const tokens = line.split(/\s+/)
    const values = tokens.map(Number)
    const bad = values.findIndex((v) => !Number.isFinite(v))
    if (bad >= 0) {
      problems.add(lineItem, `"${tokens[bad]}" is not a number`)
      continue
    }
    const cls = values[0]!
    if (!Number.isInteger(cls) || cls < 0 || cls >= names.length) {
      problems.add(lineItem, `class ${tokens[0]} is not in data.yaml's names (0 to ${names.length - 1})`)
      continue
    }
    const xy = values.slice(1)
    if (xy.length === 4) {
      problems.add(lineItem, 'has 4 values after the class: a detection box (x y w h), not a segment')
      continue
    }
    if (xy.length % 2 !== 0) {
      problems.add(lineItem, `has an odd number of coordinates (${xy.length})`)
      continue
    }
    if (xy.length < 6) {
      problems.add(lineItem, `has ${xy.length / 2} point(s); a polygon needs at least 3`)
      continue
    }
    const outside = xy.findIndex((v) => v < 0 || v > 1)
    if (outside >= 0) {
      problems.add(lineItem, `coordinate ${tokens[outside + 1]} is outside 0–1 (not normalised, or out of the image)`)
      continue
    }
    let ring = xy.map((v, i) => (i % 2 === 0 ? v * size.width : v * size.height))
    if (stored) ring = orientRings([ring], size.width, size.height, orientation)[0]!
    if (!context.sink.add({ imageId: image.id, runs: frPolygons([ring], image.height, image.width), category: names[cls]! })) {
      problems.add(lineItem, 'covers no pixel of the image')
    }
  }
}

// Class names from data.yaml (`names` as a list or an index → name map), else classes.txt (one a line).
async function classNames(root: string, yamlFile: string | null): Promise<string[]> {
  const file = yamlFile ?? join(root, 'data.yaml')
  let text: string | null = null
  try {
    text = await readFile(file, 'utf8')
  } catch {
    if (yamlFile !== null) throw new ExpectedError('NOT_FOUND', `cannot read ${yamlFile}`)
  }
  if (text === null) {
    try {
      const classes = await readFile(join(root, 'classes.txt'), 'utf8')
      return classes.split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== '')
    } catch {
      throw new ExpectedError('NOT_FOUND', `no data.yaml or classes.txt in ${root}: the class names are needed to read YOLO labels`)
    }
  }
  let data: unknown
  try {
    data = parseYaml(text)
  } catch (error) {
    throw new ExpectedError('INVALID_FILE', `${basename(file)} is not valid YAML: ${errorMessage(error).split('\n')[0]}`)
  }
  const names = typeof data === 'object' && data !== null ? (data as Record<string, unknown>).names : undefined
  if (names === undefined) throw new ExpectedError('INVALID_FILE', `${basename(file)}: missing key "names"`)
  const list: unknown[] = Array.isArray(names)
    ? names
    : typeof names === 'object' && names !== null
      ? Object.entries(names as Record<string, unknown>)
          .sort(([a], [b]) => Number(a) - Number(b))
          .map(([key, value], i) => {
            if (Number(key) !== i) throw new ExpectedError('INVALID_FILE', `${basename(file)}: names must be numbered 0, 1, 2, …; found ${key} at position ${i}`)
            return value
          })
      : []
  if (list.length === 0) throw new ExpectedError('INVALID_FILE', `${basename(file)}: "names" must be a non-empty list or map`)
  return list.map((name, i) => {
    if (typeof name !== 'string' && typeof name !== 'number') {
      throw new ExpectedError('INVALID_FILE', `${basename(file)}: name ${i} must be a string`)
    }
    return String(name).trim()
  })
}
