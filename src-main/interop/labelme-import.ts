import { dirname, resolve } from 'node:path'
import { setImmediate as yieldToEventLoop } from 'node:timers/promises'
import sharp from 'sharp'
import { errorMessage, isCancellation, throwIfAborted } from '../common/errors'
import { encodeRowMajor, frPolygons, merge, type RleRuns } from '../masks/rle'
import { decideFrame, orientRings, orientRuns, type FrameChoice } from './annotation-frame'
import { displayPath, listFiles, pathKind } from './annotation-files'
import { checkRings } from './coco-segmentation'
import { readJson } from './coco-import'
import type { ImportContext } from './import-context'

// A circle becomes a polygon this fine: under a tenth of a pixel from the true circle up to r ≈ 200 px.
const CIRCLE_SEGMENTS = 64

/**
 * Imports labelme JSON files: a folder (searched recursively) or one file. Each file is matched to a
 * project image by its `imagePath` (relative to the JSON file, or to the image root when one is given),
 * then by the JSON file's own name. Polygons, rectangles, circles and masks become instances; shapes with
 * the same `group_id` and label are one instance (labelme's way of drawing an object in parts); points
 * and lines have no area and are reported. Coordinates are rasterised as COCO does (pixel (x, y) covers
 * [x, x+1] × [y, y+1], as labelme draws its canvas). A broken file or shape is reported and the rest imported.
 */
export async function importLabelme(context: ImportContext): Promise<void> {
  const kind = await pathKind(context.path)
  const root = kind === 'folder' ? context.path : dirname(context.path)
  const files = kind === 'folder' ? await listFiles(context.path, ['.json']) : [context.path]
  for (let f = 0; f < files.length; f++) {
    throwIfAborted(context.signal)
    const file = files[f]!
    const item = displayPath(root, file)
    try {
      await importFile(context, file, item, root)
    } catch (error) {
      if (isCancellation(error)) throw error
      context.problems.add(item, errorMessage(error))
    }
    context.sink.endImage()
    context.progress(f + 1, files.length, 'importing labelme files')
    if (f % 50 === 49) await yieldToEventLoop()
  }
}

async function importFile(context: ImportContext, file: string, item: string, root: string): Promise<void> {
  const { problems, request, counts } = context
  const data = await readJson(file)
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return problems.add(item, 'is not a labelme file (expected a JSON object)')
  const doc = data as Record<string, unknown>
  if (!('shapes' in doc)) return problems.add(item, 'missing key "shapes"')
  if (!Array.isArray(doc.shapes)) return problems.add(item, '"shapes" must be a list')
  const imageRoot = request.imageRoot === null ? dirname(file) : resolve(request.imageRoot)
  const match =
    typeof doc.imagePath === 'string' && doc.imagePath !== ''
      ? context.index.match(doc.imagePath, imageRoot)
      : context.index.match(displayPath(root, file), root, true)
  if ('problem' in match) {
    counts.imagesUnmatched++
    return problems.add(item, match.problem)
  }
  const image = match.image
  const declared =
    Number.isInteger(doc.imageWidth) && Number.isInteger(doc.imageHeight)
      ? { width: doc.imageWidth as number, height: doc.imageHeight as number }
      : null
  const frame = decideFrame(image, declared, request.frame)
  if ('problem' in frame) return problems.add(item, frame.problem)
  counts.imagesMatched++
  if (frame.frame === 'stored') counts.imagesConvertedFromStoredFrame++

  // Shapes of one object: grouped by (group_id, label); ungrouped shapes are objects of their own.
  const objects = new Map<string, { label: string; masks: RleRuns[]; first: number }>()
  for (let k = 0; k < doc.shapes.length; k++) {
    const shape: unknown = doc.shapes[k]
    const shapeItem = `${item} shape ${k}`
    if (typeof shape !== 'object' || shape === null || Array.isArray(shape)) {
      problems.add(shapeItem, 'is not an object')
      continue
    }
    const s = shape as Record<string, unknown>
    if (!('label' in s)) {
      problems.add(shapeItem, 'missing key "label"')
      continue
    }
    if (typeof s.label !== 'string' || s.label.trim() === '') {
      problems.add(shapeItem, '"label" must be a non-empty string')
      continue
    }
    const label = s.label.trim()
    const mask = await shapeMask(s, frame, image.orientation, image.height, image.width)
    if (typeof mask === 'string') {
      problems.add(`${shapeItem} ("${label}")`, mask)
      continue
    }
    const key = s.group_id === null || s.group_id === undefined ? `shape ${k}` : `group ${JSON.stringify(s.group_id)} ${label}`
    const entry = objects.get(key)
    if (entry) entry.masks.push(mask)
    else objects.set(key, { label, masks: [mask], first: k })
  }
  for (const object of objects.values()) {
    const runs = object.masks.length === 1 ? object.masks[0]! : merge(object.masks)
    if (!context.sink.add({ imageId: image.id, runs, category: object.label })) {
      problems.add(`${item} shape ${object.first} ("${object.label}")`, 'covers no pixel of the image')
    }
  }
}

// One shape's mask in the project's frame, or the reason it has none.
async function shapeMask(
  shape: Record<string, unknown>,
  frame: FrameChoice,
  orientation: number,
  height: number,
  width: number
): Promise<RleRuns | string> {
  const type = shape.shape_type === undefined || shape.shape_type === null ? 'polygon' : shape.shape_type
  if (typeof type !== 'string') return `"shape_type" must be a string, got ${JSON.stringify(type)}`
  if (!Array.isArray(shape.points)) return 'missing key "points"'
  const points: number[] = []
  for (let j = 0; j < shape.points.length; j++) {
    const p: unknown = shape.points[j]
    if (!Array.isArray(p) || p.length !== 2 || typeof p[0] !== 'number' || typeof p[1] !== 'number' || !Number.isFinite(p[0]) || !Number.isFinite(p[1])) {
      return `point ${j} must be [x, y] with two numbers, got ${JSON.stringify(p)}`
    }
    points.push(p[0], p[1])
  }
  let ring: number[]
  switch (type) {
    case 'polygon':
      ring = points
      break
    case 'rectangle': {
      if (points.length !== 4) return `a rectangle needs 2 points, got ${points.length / 2}`
      const [x1, y1, x2, y2] = points as [number, number, number, number]
      ring = [x1, y1, x2, y1, x2, y2, x1, y2]
      break
    }
    case 'circle': {
      if (points.length !== 4) return `a circle needs 2 points (centre and rim), got ${points.length / 2}`
      const [cx, cy, px, py] = points as [number, number, number, number]
      const r = Math.hypot(px - cx, py - cy)
      ring = []
      for (let i = 0; i < CIRCLE_SEGMENTS; i++) {
        const a = (2 * Math.PI * i) / CIRCLE_SEGMENTS
        ring.push(cx + r * Math.cos(a), cy + r * Math.sin(a))
      }
      break
    }
    case 'mask':
      return maskShape(shape, points, frame, orientation)
    case 'point':
    case 'points':
    case 'line':
    case 'linestrip':
      return `a ${type} has no area`
    default:
      return `unknown shape_type "${type}"`
  }
  const problem = checkRings([ring], 'polygon')
  if (problem !== null) return problem.replace('polygon 0', 'the polygon')
  const rings = frame.frame === 'stored' ? orientRings([ring], frame.width, frame.height, orientation) : [ring]
  return frPolygons(rings, height, width)
}

// labelme ≥ 5.3 stores a mask shape as a base64 PNG of its box, placed at the box's top-left point.
async function maskShape(shape: Record<string, unknown>, points: number[], frame: FrameChoice, orientation: number): Promise<RleRuns | string> {
  if (points.length !== 4) return `a mask needs 2 points (its box), got ${points.length / 2}`
  if (typeof shape.mask !== 'string') return 'a mask shape needs "mask" (a base64 PNG)'
  let decoded: { data: Buffer; info: { width: number; height: number } }
  try {
    decoded = await sharp(Buffer.from(shape.mask, 'base64')).extractChannel(0).raw().toBuffer({ resolveWithObject: true })
  } catch (error) {
    return `"mask" is not a readable PNG: ${errorMessage(error)}`
  }
  const { width: mw, height: mh } = decoded.info
  const x0 = Math.round(Math.min(points[0]!, points[2]!))
  const y0 = Math.round(Math.min(points[1]!, points[3]!))
  const full = new Uint8Array(frame.width * frame.height)
  for (let y = 0; y < mh; y++) {
    const ty = y0 + y
    if (ty < 0 || ty >= frame.height) continue
    for (let x = 0; x < mw; x++) {
      const tx = x0 + x
      if (tx >= 0 && tx < frame.width && decoded.data[y * mw + x] !== 0) full[ty * frame.width + tx] = 1
    }
  }
  const runs = encodeRowMajor(full, frame.height, frame.width)
  return frame.frame === 'stored' ? orientRuns(runs, orientation) : runs
}
