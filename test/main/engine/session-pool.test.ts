import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { Tensor } from 'onnxruntime-node'
import { afterAll, describe, expect, it } from 'vitest'
import { checkFeeds, type TensorMap } from '../../../src-main/engine/graph-session'
import { minisamModelFiles } from '../../../src-main/engine/interactive/sam-segmenter'
import { onnxruntimeBinaryFolder } from '../../../src-main/engine/providers'
import { SessionPool } from '../../../src-main/engine/session-pool'
import { fixedProbes, NO_GPU, testPool } from './engine-fixtures'

// The decoder graph is small (16 MB) and loads in well under a second: the pool tests use it.
const { decoder: DECODER, encoder: ENCODER } = minisamModelFiles()

function decoderFeeds(points = 2): TensorMap {
  return {
    image_embeddings: new Tensor('float32', new Float32Array(256 * 64 * 64), [1, 256, 64, 64]),
    point_coords: new Tensor('float32', new Float32Array(points * 2).fill(100), [1, points, 2]),
    point_labels: new Tensor('float32', Float32Array.from({ length: points }, (_, i) => (i === 0 ? 2 : 3)), [1, points]),
    mask_input: new Tensor('float32', new Float32Array(256 * 256), [1, 1, 256, 256]),
    has_mask_input: new Tensor('float32', new Float32Array([0]), [1]),
    orig_im_size: new Tensor('float32', Float32Array.of(480, 640), [2])
  }
}

describe('session pool', () => {
  const pool = testPool()
  afterAll(() => pool.dispose())

  it('creates a graph session once and hands the same one to every caller', async () => {
    const [a, b] = await Promise.all([pool.acquire('sam-decoder', DECODER), pool.acquire('sam-decoder', DECODER)])
    expect(a).toBe(b)
    expect(await pool.acquire('sam-decoder', DECODER)).toBe(a)
    expect(a.inputs.map((i) => i.name)).toEqual(['image_embeddings', 'point_coords', 'point_labels', 'mask_input', 'has_mask_input', 'orig_im_size'])
    expect(a.inputs[1]).toEqual({ name: 'point_coords', type: 'float32', shape: [1, 'num_points', 2] })
  })

  it('runs a graph and returns the requested outputs only', async () => {
    const session = await pool.acquire('sam-decoder', DECODER)
    const out = await session.run(decoderFeeds(), { fetches: ['iou_predictions', 'low_res_masks'] })
    expect(Object.keys(out).sort()).toEqual(['iou_predictions', 'low_res_masks'])
    expect(out.low_res_masks!.dims).toEqual([1, 1, 256, 256])
    expect(out.iou_predictions!.dims).toEqual([1, 1])
  })

  it('reports each loaded graph on the CPU, with why CUDA is not used', async () => {
    await pool.acquire('sam-decoder', DECODER)
    const status = await pool.status()
    expect(status.setting).toBe('auto')
    expect(status.threads).toBe(2)
    expect(status.graphs).toEqual([{ graph: 'sam-decoder', file: DECODER, device: 'cpu', providers: ['cpu'] }])
    expect(status.cuda).toMatchObject({ state: 'unavailable', kind: 'no-driver' })
  })

  it('BAD CALL – the same graph from another file is refused, naming both files', async () => {
    await expect(pool.acquire('sam-decoder', ENCODER)).rejects.toThrow(
      new RangeError(`file: graph sam-decoder is already loaded from ${DECODER}, not ${ENCODER}`)
    )
  })

  it('EXPECTED FAILURE – a missing model file names the graph and the path, and is not cached', async () => {
    const missing = join(DECODER, '..', 'nope.onnx')
    await expect(pool.acquire('other', missing)).rejects.toThrow(`other: model file not found: ${missing}`)
    expect((await pool.status()).graphs.map((g) => g.graph)).toEqual(['sam-decoder'])
  })

  it('disposes a released session: a later run says so, and the next acquire loads a new one', async () => {
    const first = await pool.acquire('released', DECODER)
    await pool.release('released')
    await expect(first.run(decoderFeeds())).rejects.toThrow('released: the session has been disposed')
    const second = await pool.acquire('released', DECODER)
    expect(second).not.toBe(first)
    await pool.release('released')
  })

  it('recreates sessions on the new device after the setting changes', async () => {
    const local = new SessionPool({ threads: 1, probes: fixedProbes() })
    const before = await local.acquire('sam-decoder', DECODER)
    await local.setDevice('cpu')
    const after = await local.acquire('sam-decoder', DECODER)
    expect(after).not.toBe(before)
    expect((await local.status()).cuda).toMatchObject({ kind: 'disabled' })
    await local.dispose()
    await expect(local.acquire('sam-decoder', DECODER)).rejects.toThrow('The session pool has been disposed')
  })

  const cudaInstalled = existsSync(join(onnxruntimeBinaryFolder(), 'libonnxruntime_providers_cuda.so'))
  it.skipIf(cudaInstalled)('EXPECTED FAILURE – forcing CUDA without its files falls back to the CPU and keeps the library error', async () => {
    const local = new SessionPool({ device: 'cuda', threads: 1, probes: fixedProbes({ ...NO_GPU, driverVersion: '550.54.15' }) })
    const session = await local.acquire('sam-decoder', DECODER)
    expect(session.device).toBe('cpu')
    const status = await local.status()
    expect(status.cuda).toMatchObject({ state: 'unavailable', kind: 'load-failed', fix: 'npm run gpu:setup' })
    if (status.cuda.state !== 'unavailable') throw new Error('unreachable')
    // onnxruntime-node's own message when libonnxruntime_providers_cuda.so is absent.
    expect(status.cuda.error).toContain('Failed to load shared library')
    expect(status.cuda.reason).toMatch(/^onnxruntime-node's CUDA provider is not installed .* CUDA is installed but onnxruntime could not create a session on it\.$/)
    // The next graph goes straight to the CPU and the reason stays the first failure's.
    expect((await local.acquire('second', DECODER)).device).toBe('cpu')
    expect((await local.status()).cuda).toEqual(status.cuda)
    await local.dispose()
  })

  it.skipIf(cudaInstalled)('EXPECTED FAILURE – a CUDA load failure names the libraries the loader could not find, and the fix follows them', async () => {
    // The probes see everything in place, yet onnxruntime fails: the loader's missing library is what the user needs to know.
    const probes = { probe: async () => ({ ...NO_GPU, missingFiles: [], driverVersion: '550.54.15' }), missingLibraries: async () => ['libcudnn.so.9'] }
    const local = new SessionPool({ threads: 1, probes })
    expect((await local.status()).cuda).toEqual({ state: 'available', driverVersion: '550.54.15' })
    expect((await local.acquire('sam-decoder', DECODER)).device).toBe('cpu')
    const { cuda } = await local.status()
    expect(cuda).toMatchObject({ state: 'unavailable', kind: 'load-failed', fix: expect.stringContaining('cuDNN 9') })
    if (cuda.state !== 'unavailable') throw new Error('unreachable')
    expect(cuda.error).toMatch(/Failed to load shared library \(not found: libcudnn\.so\.9\)$/)
    await local.dispose()
  })

  it('BAD CALL – options are checked when the pool is made', () => {
    expect(() => new SessionPool({ threads: 0 })).toThrow(new RangeError('options.threads: expected a positive integer, got 0'))
    expect(() => new SessionPool({ device: 'gpu' as never })).toThrow(new RangeError('options.device: expected one of auto, cuda, cpu, got "gpu"'))
  })
})

describe('feed checks', () => {
  const pool = testPool()
  afterAll(() => pool.dispose())
  const decoder = () => pool.acquire('sam-decoder', DECODER)

  it('BAD CALL – feeds that are not an object', async () => {
    const session = await decoder()
    await expect(session.run(null as never)).rejects.toThrow(new TypeError('feeds: expected an object mapping input names of sam-decoder to tensors, got null'))
    await expect(session.run([] as never)).rejects.toThrow(new TypeError('feeds: expected an object mapping input names of sam-decoder to tensors, got an array'))
  })

  it('BAD CALL – a missing input', async () => {
    const { orig_im_size: _, ...feeds } = decoderFeeds()
    await expect((await decoder()).run(feeds)).rejects.toThrow(new RangeError('feeds: missing input "orig_im_size" of sam-decoder'))
  })

  it('BAD CALL – an input the graph does not have', async () => {
    await expect((await decoder()).run({ ...decoderFeeds(), image: decoderFeeds().mask_input! })).rejects.toThrow(
      new RangeError('feeds: "image" is not an input of sam-decoder (inputs: image_embeddings, point_coords, point_labels, mask_input, has_mask_input, orig_im_size)')
    )
  })

  it('BAD CALL – a value that is not a tensor', async () => {
    await expect((await decoder()).run({ ...decoderFeeds(), has_mask_input: new Float32Array(1) as never })).rejects.toThrow(
      new TypeError('feeds.has_mask_input: expected an onnxruntime Tensor, got an object (Float32Array)')
    )
  })

  it('BAD CALL – a tensor of the wrong type', async () => {
    const feeds = { ...decoderFeeds(), point_labels: new Tensor('int32', new Int32Array(2), [1, 2]) }
    await expect((await decoder()).run(feeds)).rejects.toThrow(new TypeError('feeds.point_labels: expected a float32 tensor, got int32'))
  })

  it('BAD CALL – a tensor of the wrong rank or size', async () => {
    const session = await decoder()
    const rank = { ...decoderFeeds(), point_coords: new Tensor('float32', new Float32Array(4), [2, 2]) }
    await expect(session.run(rank)).rejects.toThrow(new RangeError('feeds.point_coords: expected 3 dimensions [1,num_points,2], got 2 [2,2]'))
    const size = { ...decoderFeeds(), image_embeddings: new Tensor('float32', new Float32Array(128 * 64 * 64), [1, 128, 64, 64]) }
    await expect(session.run(size)).rejects.toThrow(new RangeError('feeds.image_embeddings: dimension 1 must be 256 [1,256,64,64], got [1,128,64,64]'))
  })

  it('BAD CALL – inputs that disagree on a shared symbolic dimension', async () => {
    const feeds = { ...decoderFeeds(3), point_labels: new Tensor('float32', new Float32Array(2), [1, 2]) }
    await expect((await decoder()).run(feeds)).rejects.toThrow(
      new RangeError('feeds.point_labels: dimension 1 (num_points) is 2 but num_points is 3 in feeds.point_coords')
    )
  })

  it('BAD CALL – fetching an output the graph does not have', async () => {
    await expect((await decoder()).run(decoderFeeds(), { fetches: ['masks', 'scores'] })).rejects.toThrow(
      new RangeError('fetches: "scores" is not an output of sam-decoder (outputs: masks, iou_predictions, low_res_masks)')
    )
  })

  it('checks feeds without a session, from declared specs', () => {
    const inputs = [{ name: 'x', type: 'int64', shape: ['batch', 3] }] as const
    expect(() => checkFeeds('g', inputs, { x: new Tensor('int64', new BigInt64Array(6), [2, 3]) })).not.toThrow()
    expect(() => checkFeeds('g', inputs, { x: new Tensor('int64', new BigInt64Array(4), [2, 2]) })).toThrow(
      new RangeError('feeds.x: dimension 1 must be 3 [batch,3], got [2,2]')
    )
  })
})
