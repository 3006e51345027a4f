/**
 * Test helpers for the engine: a session pool without CUDA probing, scenes with known masks, files
 * stored under any EXIF orientation, a launcher that forks the engine host from its TypeScript
 * source, and mask IoU.
 */
import { fileURLToPath } from 'node:url'
import sharp from 'sharp'
import { encodeRowMajor, iou, type RleLike } from '../../../src-main/masks/rle'
import { orientedSize, storedToOriented, type Orientation } from '../../../src-main/images/orientation'
import { forkHostLauncher, type HostLauncher } from '../../../src-main/engine/host/host-process'
import { ENGINE_OPTIONS_ENV, type EngineHostOptions } from '../../../src-main/engine/host/engine-host'
import type { CudaProbeResult, CudaProbes } from '../../../src-main/engine/providers'
import { SessionPool } from '../../../src-main/engine/session-pool'

/** CPU threads for test sessions: the build machine has two cores, shared. */
export const TEST_THREADS = 2

/** A probe result for a machine without an NVIDIA driver. */
export const NO_GPU: CudaProbeResult = {
  platform: 'linux/x64',
  binaryFolder: '/ort/bin/napi-v6/linux/x64',
  missingFiles: ['libonnxruntime_providers_cuda.so', 'libonnxruntime_providers_shared.so'],
  driverVersion: undefined,
  driverDetail: '/proc/driver/nvidia/version missing, nvidia-smi not found'
}

/** Probes that always report the given result. */
export function fixedProbes(result: CudaProbeResult = NO_GPU): CudaProbes {
  return { probe: async () => result }
}

/** A session pool on the CPU with deterministic probes. */
export function testPool(): SessionPool {
  return new SessionPool({ threads: TEST_THREADS, probes: fixedProbes() })
}

/** A shape drawn in a scene, with the colour it is filled with. */
export type Shape =
  | { readonly kind: 'circle'; readonly cx: number; readonly cy: number; readonly r: number; readonly fill: string }
  | { readonly kind: 'rect'; readonly x: number; readonly y: number; readonly width: number; readonly height: number; readonly fill: string }

/** An SVG scene: a background and opaque shapes, drawn without anti-aliasing so masks are exact. */
export function sceneSvg(width: number, height: number, background: string, shapes: readonly Shape[]): Buffer {
  const body = shapes
    .map((s) =>
      s.kind === 'circle'
        ? `<circle cx="${s.cx}" cy="${s.cy}" r="${s.r}" fill="${s.fill}"/>`
        : `<rect x="${s.x}" y="${s.y}" width="${s.width}" height="${s.height}" fill="${s.fill}"/>`
    )
    .join('')
  return Buffer.from(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" shape-rendering="crispEdges"><rect width="100%" height="100%" fill="${background}"/>${body}</svg>`
  )
}

/** Raw RGB pixels of a scene in the oriented frame. */
export async function sceneRgb(width: number, height: number, background: string, shapes: readonly Shape[]): Promise<Buffer> {
  return sharp(sceneSvg(width, height, background, shapes)).removeAlpha().raw().toBuffer()
}

/** The exact mask of one shape (pixel centres inside it), as COCO runs. */
export function shapeMask(width: number, height: number, shape: Shape): RleLike {
  const mask = new Uint8Array(width * height)
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const px = x + 0.5
      const py = y + 0.5
      const inside =
        shape.kind === 'circle'
          ? (px - shape.cx) ** 2 + (py - shape.cy) ** 2 <= shape.r ** 2
          : px >= shape.x && px < shape.x + shape.width && py >= shape.y && py < shape.y + shape.height
      if (inside) mask[y * width + x] = 1
    }
  }
  return encodeRowMajor(mask, height, width)
}

/** A shape's box `[x, y, width, height]`, as a user would draw it. */
export function shapeBox(shape: Shape): [number, number, number, number] {
  return shape.kind === 'circle' ? [shape.cx - shape.r, shape.cy - shape.r, 2 * shape.r, 2 * shape.r] : [shape.x, shape.y, shape.width, shape.height]
}

/**
 * Encodes oriented RGB pixels as a PNG whose stored pixels and EXIF orientation tag display as the
 * given frame (stored pixel (x, y) holds the oriented pixel storedToOriented(x, y)).
 */
export async function storeWithOrientation(rgb: Uint8Array, width: number, height: number, orientation: Orientation): Promise<Buffer> {
  const stored = orientedSize({ width, height }, orientation) // the stored frame is the oriented one turned back
  const out = Buffer.alloc(stored.width * stored.height * 3)
  for (let y = 0; y < stored.height; y++) {
    for (let x = 0; x < stored.width; x++) {
      const o = storedToOriented(x, y, stored, orientation)
      const from = (o.y * width + o.x) * 3
      const to = (y * stored.width + x) * 3
      out[to] = rgb[from]!
      out[to + 1] = rgb[from + 1]!
      out[to + 2] = rgb[from + 2]!
    }
  }
  return sharp(out, { raw: { width: stored.width, height: stored.height, channels: 3 } })
    .png()
    .withMetadata({ orientation })
    .toBuffer()
}

/** IoU of two masks of the same size. */
export function maskIou(a: RleLike, b: RleLike): number {
  return iou([a], [b], [false])[0]![0]!
}

const HOOKS = fileURLToPath(new URL('./ts-source-register.mjs', import.meta.url))

/** The engine host's entry, in TypeScript. */
export const HOST_SOURCE_ENTRY = fileURLToPath(new URL('../../../src-main/engine/host/engine-host-main.ts', import.meta.url))

/**
 * Forks the engine host from its TypeScript source: Node 24 strips the types itself
 * (`--experimental-transform-types` for parameter properties); the hook resolves extensionless imports.
 */
export function sourceHostLauncher(options: EngineHostOptions = {}, entry = HOST_SOURCE_ENTRY): HostLauncher {
  return forkHostLauncher({
    entry,
    execArgv: ['--experimental-transform-types', '--no-warnings', '--import', HOOKS],
    env: { [ENGINE_OPTIONS_ENV]: JSON.stringify({ threads: TEST_THREADS, device: 'cpu', ...options }) }
  })
}
