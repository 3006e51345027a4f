/** Test projects for interop: a real store in a temporary folder, real image files, generated masks. */
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import sharp from 'sharp'
import { compress, encodeRowMajor, area, toBbox, decodeRowMajor } from '../../../src-main/masks/rle'
import { ProjectStore } from '../../../src-main/store/project-store'
import type { InstanceStatusValue } from '../../../src-preload/contract'

/** A project in a temporary folder; `dispose()` closes it and removes the folder. */
export interface TestProject {
  readonly root: string
  readonly store: ProjectStore
  dispose(): Promise<void>
}

/** Opens a new, empty project in a temporary folder. */
export async function makeProject(prefix = 'rose-interop-'): Promise<TestProject> {
  const root = await mkdtemp(join(tmpdir(), prefix))
  const store = ProjectStore.open(root)
  return {
    root,
    store,
    dispose: async () => {
      store.close()
      await rm(root, { recursive: true, force: true })
    }
  }
}

/** A temporary folder; `dispose()` removes it. */
export async function makeTempDir(prefix = 'rose-interop-out-'): Promise<{ path: string; dispose(): Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), prefix))
  return { path, dispose: () => rm(path, { recursive: true, force: true }) }
}

/** Options for a test image. */
export interface ImageOptions {
  readonly format?: 'png' | 'jpeg'
  /** EXIF orientation written into the file; width/height are then the upright size. */
  readonly orientation?: number
  readonly status?: 'new' | 'done' | 'skipped'
  /** Raw RGB pixels of the stored frame; default a gradient. */
  readonly storedPixels?: Buffer
}

let hashCounter = 0

/**
 * Writes an image file at `relPath` inside the project and registers it; `width` × `height` is the upright
 * (oriented) size, as the store records it. Answers the image id.
 */
export async function addImage(project: TestProject, relPath: string, width: number, height: number, options: ImageOptions = {}): Promise<number> {
  const orientation = options.orientation ?? 1
  const storedW = orientation >= 5 ? height : width
  const storedH = orientation >= 5 ? width : height
  const pixels = options.storedPixels ?? gradient(storedW, storedH)
  let image = sharp(pixels, { raw: { width: storedW, height: storedH, channels: 3 } })
  if (orientation !== 1) image = image.withMetadata({ orientation })
  const format = options.format ?? 'png'
  const bytes = format === 'png' ? await image.png().toBuffer() : await image.jpeg({ quality: 95 }).toBuffer()
  const file = join(project.root, ...relPath.split('/'))
  await mkdir(dirname(file), { recursive: true })
  await writeFile(file, bytes)
  const [id] = project.store.insertImages([
    { path: relPath, width, height, orientation, fileSize: bytes.length, contentHash: `hash-${++hashCounter}-${relPath}`, format }
  ])
  if (options.status) project.store.setImageStatus(id!, options.status)
  return id!
}

function gradient(width: number, height: number): Buffer {
  const data = Buffer.alloc(width * height * 3)
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3
      data[i] = (x * 7) & 0xff
      data[i + 1] = (y * 5) & 0xff
      data[i + 2] = 128
    }
  }
  return data
}

/** Stores a row-major 0/1 mask of `height` × `width` as an instance; answers its id. */
export function addMask(
  project: TestProject,
  imageId: number,
  mask: Uint8Array,
  height: number,
  width: number,
  category: string,
  options: { status?: InstanceStatusValue; score?: number | null } = {}
): number {
  const runs = encodeRowMajor(mask, height, width)
  const status = options.status ?? 'accepted'
  return project.store.createInstance({
    imageId,
    rle: compress(runs),
    bbox: toBbox(runs),
    area: area(runs),
    categoryText: category,
    score: options.score ?? (status === 'proposed' ? 0.5 : null),
    status,
    source: status === 'proposed' ? 'model' : 'human'
  }).id
}

/** A row-major mask with filled ellipses; a negative radius pair cuts an elliptical hole instead. */
export function ellipses(height: number, width: number, shapes: readonly { cx: number; cy: number; rx: number; ry: number; hole?: boolean }[]): Uint8Array {
  const m = new Uint8Array(height * width)
  for (const s of shapes) {
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        if (((x + 0.5 - s.cx) / s.rx) ** 2 + ((y + 0.5 - s.cy) / s.ry) ** 2 <= 1) m[y * width + x] = s.hole ? 0 : 1
      }
    }
  }
  return m
}

/** A row-major rectangle mask. */
export function rect(height: number, width: number, x: number, y: number, w: number, h: number): Uint8Array {
  const m = new Uint8Array(height * width)
  for (let r = y; r < y + h; r++) m.fill(1, r * width + x, r * width + x + w)
  return m
}

// mulberry32: seeded, so random cases are the same on every run.
export function prng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** A random row-major mask: speckle at a random density plus a few blobs, so holes and diagonal touches occur. */
export function randomMask(height: number, width: number, seed: number): Uint8Array {
  const rand = prng(seed)
  const m = new Uint8Array(height * width)
  const density = rand() * 0.6
  for (let i = 0; i < m.length; i++) m[i] = rand() < density ? 1 : 0
  for (let b = 0; b < 2; b++) {
    const cx = rand() * width
    const cy = rand() * height
    const r = 1 + rand() * Math.max(height, width) * 0.3
    for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) if ((x - cx) ** 2 + (y - cy) ** 2 < r * r) m[y * width + x] = 1
  }
  return m
}

/** The row-major 0/1 pixels of a stored instance. */
export function pixelsOf(rle: { size: readonly [number, number] | [number, number]; counts: string }): Uint8Array {
  return decodeRowMajor({ size: [rle.size[0], rle.size[1]], counts: rle.counts })
}
