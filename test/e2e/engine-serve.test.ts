import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { REPO_ROOT, startServe, type ServeProcess } from '../helpers/serve-process'
import { TestWsClient } from '../helpers/ws-client'

// The serve build with its engine process: a box drawn over a sample comes back as a stored mask.
describe('engine through serve mode', () => {
  let dir: string
  let server: ServeProcess
  let client: TestWsClient

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rose-engine-serve-'))
    copyFileSync(join(REPO_ROOT, 'resources/samples/scene-one-large-object.png'), join(dir, 'scene.png'))
    server = await startServe(['--project', dir, '--no-samples'])
    client = await TestWsClient.connect(server.origin, server.token)
  })
  afterAll(async () => {
    client?.close()
    await server?.stop()
    rmSync(dir, { recursive: true, force: true })
  })

  it('reports the engine ready on the CPU and says why CUDA is not used', async () => {
    let status = await client.call('engine:status', {})
    for (let i = 0; i < 300 && status.state !== 'ready'; i++) {
      await new Promise((r) => setTimeout(r, 100))
      status = await client.call('engine:status', {})
    }
    expect(status).toMatchObject({ state: 'ready', message: null, setting: 'auto' })
    expect(status.pid).toBeGreaterThan(0)
    expect(status.pid).not.toBe(server.child.pid)
    expect(status.cuda.available).toBe(false)
    expect(status.cuda.reason).toMatch(/\S/)
  })

  it('turns a box over the large circle into a mask of its area and stores it as an instance', async () => {
    const { jobId } = await client.call('images:import', { paths: [dir], recursive: true })
    await client.waitForEvent('job:done', (p) => p.id === jobId)
    const { items } = await client.call('images:list', { offset: 0, limit: 10 })
    const imageId = items[0]!.id
    await expect(client.call('engine:prepare', { imageId, nextImageIds: [] })).resolves.toMatchObject({ width: 320, height: 320 })

    const truth = JSON.parse(readFileSync(join(REPO_ROOT, 'resources/samples/scenes.json'), 'utf8'))['scene-one-large-object.png']
    const circle = truth.segments.find((s: { name: string }) => s.name === 'purple circle')
    const mask = await client.call('engine:segment', { imageId, box: circle.bbox })
    expect(mask.rle.size).toEqual([320, 320])
    expect(Math.abs(mask.area - circle.area) / circle.area).toBeLessThan(0.08)
    mask.bbox.forEach((v, i) => expect(Math.abs(v - circle.bbox[i])).toBeLessThanOrEqual(4))

    const stored = await client.call('instances:createFromMask', { imageId, rle: mask.rle, categoryText: 'purple circle', score: mask.score })
    expect(stored).toMatchObject({ area: mask.area, categoryText: 'purple circle', status: 'accepted', source: 'human' })
    await expect(
      client.callRaw('instances:createFromMask', { imageId, rle: { size: [10, 10], counts: mask.rle.counts }, categoryText: 'x' })
    ).resolves.toEqual({
      ok: false,
      error: {
        name: 'InvalidArgumentError',
        code: 'INVALID_ARGUMENT',
        message: 'rle.size: the mask is 10×10 (height×width) but image 1 (scene.png) is 320×320'
      }
    })
  })
})
