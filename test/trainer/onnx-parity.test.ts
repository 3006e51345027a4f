// Parity of the committed rose-tiny pack: every ONNX graph, run by onnxruntime-node on the golden
// inputs the trainer wrote, must reproduce the PyTorch outputs within the golden file's tolerance
// (|onnx − torch| ≤ atol + rtol·|torch|, atol 1e-4, rtol 1e-3; integer outputs exactly).
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import * as ort from 'onnxruntime-node'
import { afterAll, describe, expect, test } from 'vitest'

const root = fileURLToPath(new URL('../..', import.meta.url))
const packDir = process.env['ROSE_PACK_DIR'] ?? join(root, 'resources', 'models', 'rose-tiny')

interface TensorEntry {
  readonly dtype: 'float32' | 'int64' | 'uint8'
  readonly shape: readonly number[]
  readonly offset: number
  readonly byte_length: number
}

interface OutputEntry {
  readonly tensor: string
  readonly slice?: { readonly axis: number; readonly start: number; readonly end: number }
}

interface GraphCase {
  readonly graph: string
  readonly note: string
  readonly atol: number
  readonly rtol: number
  readonly inputs: Readonly<Record<string, string>>
  readonly outputs: Readonly<Record<string, OutputEntry>>
}

interface Golden {
  readonly format: string
  readonly tensors_file: string
  readonly tensors: Readonly<Record<string, TensorEntry>>
  readonly graph_cases: readonly GraphCase[]
}

interface GraphSpec {
  readonly file: string
  readonly inputs: Readonly<Record<string, { dtype: string; shape: readonly (number | string)[] }>>
  readonly outputs: Readonly<Record<string, { dtype: string; shape: readonly (number | string)[] }>>
}

interface Manifest {
  readonly format: string
  readonly graphs: Readonly<Record<string, GraphSpec | null>>
}

const manifest = JSON.parse(readFileSync(join(packDir, 'manifest.json'), 'utf8')) as Manifest
const golden = JSON.parse(readFileSync(join(packDir, 'golden', 'golden.json'), 'utf8')) as Golden
const blob = readFileSync(join(packDir, 'golden', golden.tensors_file))
const graphNames = Object.entries(manifest.graphs)
  .filter((entry): entry is [string, GraphSpec] => entry[1] !== null)
  .map(([name]) => name)

function loadTensor(id: string): ort.Tensor {
  const entry = golden.tensors[id]
  if (entry === undefined) throw new Error(`golden tensor ${id} is not in golden.json`)
  // Copy into a fresh, aligned buffer: typed-array views need offsets aligned to their element size.
  const bytes = new Uint8Array(blob.subarray(entry.offset, entry.offset + entry.byte_length))
  const dims = [...entry.shape]
  switch (entry.dtype) {
    case 'float32':
      return new ort.Tensor('float32', new Float32Array(bytes.buffer, 0, entry.byte_length / 4), dims)
    case 'int64':
      return new ort.Tensor('int64', new BigInt64Array(bytes.buffer, 0, entry.byte_length / 8), dims)
    case 'uint8':
      return new ort.Tensor('uint8', bytes, dims)
  }
}

/** Elements of `data` (shape `dims`, C order) with index in [start, end) along `axis`. */
function sliceAxis(data: Float32Array, dims: readonly number[], axis: number, start: number, end: number): Float32Array {
  const outer = dims.slice(0, axis).reduce((a, b) => a * b, 1)
  const inner = dims.slice(axis + 1).reduce((a, b) => a * b, 1)
  const size = dims[axis] ?? 1
  const out = new Float32Array(outer * (end - start) * inner)
  let k = 0
  for (let o = 0; o < outer; o++) {
    for (let i = start; i < end; i++) {
      const base = (o * size + i) * inner
      out.set(data.subarray(base, base + inner), k)
      k += inner
    }
  }
  return out
}

interface Comparison {
  readonly count: number
  readonly violations: number
  readonly maxAbsDiff: number
}

function compare(actual: Float32Array, expected: Float32Array, atol: number, rtol: number): Comparison {
  let violations = 0
  let maxAbsDiff = 0
  for (let i = 0; i < expected.length; i++) {
    const e = expected[i] ?? Number.NaN
    const d = Math.abs((actual[i] ?? Number.NaN) - e)
    if (!(d <= atol + rtol * Math.abs(e))) violations++
    if (d > maxAbsDiff || Number.isNaN(d)) maxAbsDiff = d
  }
  return { count: expected.length, violations, maxAbsDiff }
}

const sessions = new Map<string, ort.InferenceSession>()

async function session(graph: string): Promise<ort.InferenceSession> {
  const existing = sessions.get(graph)
  if (existing !== undefined) return existing
  const spec = manifest.graphs[graph]
  if (spec === undefined || spec === null) throw new Error(`graph ${graph} is not in the manifest`)
  // Loaded by path so that onnxruntime resolves the shared external weights file beside the graph.
  const created = await ort.InferenceSession.create(join(packDir, spec.file), {
    executionProviders: ['cpu'],
    intraOpNumThreads: 2
  })
  sessions.set(graph, created)
  return created
}

afterAll(async () => {
  for (const s of sessions.values()) await s.release()
})

describe('rose-tiny pack parity with the PyTorch trainer', () => {
  test('the pack is a rose-model-pack and golden.json is rose-golden-1', () => {
    expect(manifest.format).toBe('rose-model-pack')
    expect(golden.format).toBe('rose-golden-1')
  })

  test('every graph of the manifest has at least one golden case', () => {
    const covered = new Set(golden.graph_cases.map((c) => c.graph))
    expect(graphNames.length).toBeGreaterThanOrEqual(7)
    expect(graphNames.filter((g) => !covered.has(g))).toEqual([])
  })

  test.each(graphNames)('%s exposes exactly the input and output names of the manifest', async (graph) => {
    const s = await session(graph)
    const spec = manifest.graphs[graph] as GraphSpec
    expect([...s.inputNames].sort()).toEqual(Object.keys(spec.inputs).sort())
    expect([...s.outputNames].sort()).toEqual(Object.keys(spec.outputs).sort())
  }, 60_000)

  test.each(golden.graph_cases.map((c, i) => [`${c.graph} #${i}${c.note ? ` (${c.note})` : ''}`, c] as const))(
    '%s reproduces the PyTorch outputs',
    async (_title, c) => {
      const s = await session(c.graph)
      const feeds: Record<string, ort.Tensor> = {}
      for (const [name, id] of Object.entries(c.inputs)) feeds[name] = loadTensor(id)
      const results = await s.run(feeds)
      for (const [name, out] of Object.entries(c.outputs)) {
        const got = results[name]
        expect(got, `output ${name}`).toBeDefined()
        const expected = loadTensor(out.tensor)
        const gotDims = [...(got as ort.Tensor).dims]
        let actual = (got as ort.Tensor).data as Float32Array
        if (out.slice !== undefined) {
          actual = sliceAxis(actual, gotDims, out.slice.axis, out.slice.start, out.slice.end)
          gotDims[out.slice.axis] = out.slice.end - out.slice.start
        }
        expect(gotDims, `shape of ${name}`).toEqual([...expected.dims])
        const cmp = compare(actual, expected.data as Float32Array, c.atol, c.rtol)
        expect(cmp.violations, `${name}: ${cmp.violations}/${cmp.count} values off, max |diff| ${cmp.maxAbsDiff}`).toBe(0)
      }
    },
    60_000
  )
})
