import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { AppEvents } from '../../../src-main/app/app-events'
import { EngineService, parentLabel } from '../../../src-main/app/engine-service'
import { isCancellation } from '../../../src-main/common/errors'
import { EngineSupervisor } from '../../../src-main/engine/host/engine-supervisor'
import { REPO_ROOT } from '../engine/rose/golden-files'
import { sourceHostLauncher } from '../engine/engine-fixtures'

describe('parentLabel', () => {
  it('names a fine-tuned pack by its parent name@version, a checkpoint by checkpoint@step, and a pre-trained one not at all', () => {
    expect(parentLabel({ name: 'rose-tiny', version: '1.0.0', manifest_sha256: 'ab' })).toBe('rose-tiny@1.0.0')
    expect(parentLabel({ checkpoint: 'runs/a/checkpoint.pt', step: 400 })).toBe('runs/a/checkpoint.pt@400')
    expect(parentLabel(null)).toBeNull()
    expect(parentLabel('rose-tiny')).toBeNull()
  })
})

describe('interactive calls: the newest of a kind wins', () => {
  const engine = new EngineService(new EngineSupervisor({ launcher: sourceHostLauncher() }), new AppEvents())
  afterAll(() => engine.dispose())
  // EXIF orientation 6; the oriented frame is 384×303 (annotations.json).
  const image = { path: join(REPO_ROOT, 'test/fixtures/real-photos/coins.jpg') }

  it('a box drawn while the previous one is still being answered cancels it; the newer one is answered', async () => {
    // The first call has to compute the image's encoder embedding (hundreds of ms), so the second
    // arrives while it runs, as when the user redraws a box at once.
    const first = engine.segment(image, { box: [10, 10, 60, 60] })
    const firstOutcome = first.then(
      () => 'answered',
      (error: unknown) => (isCancellation(error) ? 'cancelled' : `failed: ${String(error)}`)
    )
    await new Promise((r) => setTimeout(r, 20))
    const second = await engine.segment(image, { box: [20, 20, 80, 80] })
    expect(await firstOutcome).toBe('cancelled')
    expect(second.area).toBeGreaterThan(0)
    expect(second.rle.size).toEqual([303, 384])
    // Calls that do not overlap are all answered.
    const third = await engine.segment(image, { box: [20, 20, 80, 80] })
    expect(third.area).toBe(second.area)
  }, 60_000)
})

describe('opening an image', () => {
  const supervisor = new EngineSupervisor({ launcher: sourceHostLauncher({ packs: { sources: [{ dir: join(REPO_ROOT, 'resources/models'), kind: 'bundled' }] } }) })
  const engine = new EngineService(supervisor, new AppEvents())
  afterAll(() => engine.dispose())

  it("prepares the pack's SAM embedding too, so ROSE calls on the open image start from a cached one", async () => {
    const image = { path: join(REPO_ROOT, 'resources/samples/scene-few-medium-objects.png') }
    const opened = await engine.prepare(image, [])
    expect(opened.cached).toBe(false)
    // Once the background request is on its way (a few microtasks), this one queues behind it in the
    // host, so by the time it runs the embedding is there.
    await new Promise((r) => setTimeout(r, 50))
    const rose = await supervisor.call('rose.prepare', { image })
    expect(rose.cached).toBe(true)
    expect([rose.width, rose.height]).toEqual([opened.width, opened.height])
  }, 60_000)
})
