/**
 * Reads a pack's golden files (model-pack.md section 11) for the engine tests: the tensors, the
 * per-graph cases and the end-to-end cases, and writes the golden scenes as PNG files so that they
 * reach the engine the way every image does (through openImage). The pack is the committed
 * rose-tiny unless ROSE_PACK_DIR names another (a development pack exported by the trainer).
 */
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Tensor } from 'onnxruntime-node'
import sharp from 'sharp'

/** The repository root. */
export const REPO_ROOT = fileURLToPath(new URL('../../../..', import.meta.url))
/** The pack the golden tests run on. */
export const GOLDEN_PACK_DIR = process.env['ROSE_PACK_DIR'] ?? join(REPO_ROOT, 'resources', 'models', 'rose-tiny')
/** True when that pack and its golden files are there. */
export const GOLDEN_PACK_PRESENT = existsSync(join(GOLDEN_PACK_DIR, 'manifest.json')) && existsSync(join(GOLDEN_PACK_DIR, 'golden', 'golden.json'))

interface TensorEntry {
  readonly dtype: 'float32' | 'int64' | 'uint8'
  readonly shape: readonly number[]
  readonly offset: number
  readonly byte_length: number
}

/** One per-graph case. */
export interface GraphCase {
  readonly graph: string
  readonly note: string
  readonly atol: number
  readonly rtol: number
  readonly inputs: Readonly<Record<string, string>>
  readonly outputs: Readonly<Record<string, { readonly tensor: string; readonly slice?: { axis: number; start: number; end: number } }>>
}

/** A COCO RLE as the trainer writes it. */
export interface GoldenRle {
  readonly size: [number, number]
  readonly counts: string
}

/** A dense end-to-end case. */
export interface DenseCase {
  readonly name: string
  readonly task: 'dense'
  readonly image: string
  readonly prompt_text: string
  readonly input_ids: readonly number[]
  readonly kept_patches: readonly number[]
  readonly kept_scores: readonly number[]
  readonly survivors: readonly number[]
  readonly instances: readonly {
    readonly patch: number
    readonly score: number
    readonly name: string
    readonly name_ids: readonly number[]
    readonly bbox: readonly number[]
    readonly area: number
    readonly rle: GoldenRle
  }[]
  readonly ground_truth: readonly { readonly name: string; readonly kind: string; readonly rle: GoldenRle }[]
}

/** The box-prompt end-to-end case. */
export interface BoxCase {
  readonly name: string
  readonly task: 'box_prompt'
  readonly image: string
  readonly box_xyxy: readonly [number, number, number, number]
  readonly rle: GoldenRle
}

/** The refine_mask end-to-end case. */
export interface RefineCase {
  readonly name: string
  readonly task: 'refine_mask'
  readonly image: string
  readonly mask_rle: GoldenRle
  readonly user_prompt: string
  readonly patch: number
  readonly name_out: string
  readonly rle: GoldenRle
}

interface GoldenDoc {
  readonly format: string
  readonly tensors_file: string
  readonly tensors: Readonly<Record<string, TensorEntry>>
  readonly graph_cases: readonly GraphCase[]
  readonly end_to_end: readonly (DenseCase | BoxCase | RefineCase)[]
}

/** A pack's golden files. */
export class GoldenFiles {
  readonly doc: GoldenDoc
  private readonly blob: Buffer

  constructor(readonly packDir: string) {
    this.doc = JSON.parse(readFileSync(join(packDir, 'golden', 'golden.json'), 'utf8')) as GoldenDoc
    this.blob = readFileSync(join(packDir, 'golden', this.doc.tensors_file))
  }

  /** A stored tensor as an onnxruntime Tensor. */
  tensor(id: string): Tensor {
    const entry = this.doc.tensors[id]
    if (entry === undefined) throw new Error(`golden tensor ${id} is not in golden.json`)
    // Copied into a fresh buffer: typed-array views need offsets aligned to their element size.
    const bytes = new Uint8Array(this.blob.subarray(entry.offset, entry.offset + entry.byte_length))
    if (entry.dtype === 'float32') return new Tensor('float32', new Float32Array(bytes.buffer, 0, entry.byte_length / 4), [...entry.shape])
    if (entry.dtype === 'uint8') return new Tensor('uint8', bytes, [...entry.shape])
    return new Tensor('int64', new BigInt64Array(bytes.buffer, 0, entry.byte_length / 8), [...entry.shape])
  }

  /** The dense cases. */
  get dense(): DenseCase[] {
    return this.doc.end_to_end.filter((c): c is DenseCase => c.task === 'dense')
  }

  /** The box-prompt case. */
  get box(): BoxCase {
    return this.doc.end_to_end.find((c): c is BoxCase => c.task === 'box_prompt')!
  }

  /** The refine_mask case. */
  get refine(): RefineCase {
    return this.doc.end_to_end.find((c): c is RefineCase => c.task === 'refine_mask')!
  }

  /** Writes a stored scene (`[H, W, 3]` RGB, uint8 — or int64 in packs written before uint8 tensors) as a PNG file; returns its size. */
  async writeImage(id: string, path: string): Promise<{ width: number; height: number }> {
    const t = this.tensor(id)
    const [height, width] = t.dims as [number, number, number]
    const data = t.data as Uint8Array | BigInt64Array
    const rgb = Buffer.alloc(data.length)
    for (let i = 0; i < data.length; i++) rgb[i] = Number(data[i])
    await sharp(rgb, { raw: { width, height, channels: 3 } }).png().toFile(path)
    return { width, height }
  }
}

/** Counts of |actual − expected| > atol + rtol·|expected|, and the largest difference. */
export function compareFloats(actual: Float32Array, expected: Float32Array, atol: number, rtol: number): { violations: number; maxAbsDiff: number } {
  let violations = 0
  let maxAbsDiff = 0
  for (let i = 0; i < expected.length; i++) {
    const e = expected[i]!
    const d = Math.abs(actual[i]! - e)
    if (!(d <= atol + rtol * Math.abs(e))) violations++
    if (!(d <= maxAbsDiff)) maxAbsDiff = d
  }
  return { violations, maxAbsDiff }
}
