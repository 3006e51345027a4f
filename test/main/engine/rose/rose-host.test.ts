// The ROSE methods of the engine host process, forked from source and driven through the supervisor as
// main drives it: packs listed and activated, dense results equal to the in-process pipeline, prompts
// at interactive priority overtaking queued dense work, broken packs reported without taking the host down.
import { cpSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, join } from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { EngineSupervisor } from '../../../../src-main/engine/host/engine-supervisor'
import { sourceHostLauncher } from '../engine-fixtures'
import { GOLDEN_PACK_DIR, GoldenFiles } from './golden-files'

describe('ROSE through the engine host', () => {
  let dir: string
  let packs: string
  let supervisor: EngineSupervisor
  let golden: GoldenFiles
  let scene: string
  let size: { width: number; height: number }
  let packId: string

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rose-host-'))
    packs = join(dir, 'packs')
    cpSync(GOLDEN_PACK_DIR, join(packs, basename(GOLDEN_PACK_DIR)), { recursive: true })
    const broken = join(packs, 'zz-broken')
    cpSync(GOLDEN_PACK_DIR, broken, { recursive: true })
    rmSync(join(broken, 'manifest.json'))
    golden = new GoldenFiles(GOLDEN_PACK_DIR)
    scene = join(dir, 'scene0.png')
    size = await golden.writeImage(golden.dense[0]!.image, scene)
    supervisor = new EngineSupervisor({ launcher: sourceHostLauncher({ packs: { sources: [{ dir: packs, kind: 'bundled' }] } }) })
    await supervisor.start()
  }, 60_000)

  afterAll(async () => {
    await supervisor?.dispose()
    if (dir) rmSync(dir, { recursive: true, force: true })
  })

  test('lists the installed packs, the broken one with the file it lacks', async () => {
    const listed = await supervisor.call('pack.list', {})
    expect(listed.map((p) => [basename(p.dir), p.state, p.source])).toEqual([
      [basename(GOLDEN_PACK_DIR), 'ok', 'bundled'],
      ['zz-broken', 'broken', 'bundled']
    ])
    expect(listed[1]!.error).toMatchObject({ code: 'PACK_BROKEN', file: 'manifest.json', message: `broken model pack ${join(packs, 'zz-broken')}: manifest.json: is missing` })
    packId = listed[0]!.id
    expect((await supervisor.call('engine.status', {})).activePack).toBeNull()
  })

  test('dense prediction in the host reproduces the golden kept patches and names, and activates the pack on first use', async () => {
    const c = golden.dense[0]!
    const result = await supervisor.call('rose.dense', { image: { path: scene, key: 'scene0' }, pack: packId })
    expect(result.pack).toBe(packId)
    expect(result.keptPatches).toEqual(c.kept_patches)
    expect(result.instances.map((i) => i.name)).toEqual(c.instances.map((i) => i.name))
    expect(result.instances[0]?.siglipEmbedding).toBeInstanceOf(Float32Array)
    expect(result.timings.modelMs).toBeGreaterThan(0)
    expect(result.timings.modelMs).toBeLessThanOrEqual(result.timings.totalMs)
    expect((await supervisor.call('engine.status', {})).activePack).toBe(packId)
    const graphs = (await supervisor.call('engine.status', {})).graphs.map((g) => g.graph)
    expect(graphs).toContain(`${packId}/llm_decoder`)
  })

  test('a refinement asked while dense jobs are queued overtakes them', async () => {
    const order: string[] = []
    const image = { path: scene, key: 'scene0' }
    const dense = [1, 2, 3].map((i) => supervisor.call('rose.dense', { image, pack: packId }).then(() => order.push(`dense${i}`)))
    const refine = supervisor
      .call('rose.refine', { image, pack: packId, request: { situation: 'mask', mask: golden.refine.mask_rle } })
      .then((r) => {
        order.push('refine')
        return r
      })
    const result = await refine
    await Promise.all(dense)
    expect(result.patch).toBe(golden.refine.patch)
    expect(result.name).toBe(golden.refine.name_out)
    // The first dense job may already run when the prompt arrives; the prompt goes before the others.
    expect(order.indexOf('refine')).toBeLessThanOrEqual(1)
  }, 60_000)

  test('referring, naming and box prompts answer with a mask, a name and a score', async () => {
    const image = { path: scene, key: 'scene0' }
    const referred = await supervisor.call('rose.refer', { image, pack: packId, description: 'the red circle' })
    expect(referred.prompt).toBe('<image> What is the red circle in this image? Please output the segmentation mask.')
    expect(referred.rle.size).toEqual([size.height, size.width])
    expect(referred.score).toBeGreaterThan(0)
    const named = await supervisor.call('rose.name', { image, pack: packId, mask: golden.refine.mask_rle })
    expect(named.name).toBe(golden.refine.name_out)
    const [x1, y1, x2, y2] = golden.box.box_xyxy
    const boxed = await supervisor.call('rose.segment', { image, pack: packId, prompt: { box: [x1, y1, x2 - x1, y2 - y1] } })
    expect(boxed.rle).toEqual(golden.box.rle)
  })

  test('BAD CALL – a description carrying the image placeholder, a wrong mask size and an unknown situation name the parameter', async () => {
    const image = { path: scene, key: 'scene0' }
    await expect(supervisor.call('rose.refer', { image, pack: packId, description: 'the <image> thing' })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: "description: must not contain the model's placeholder <image>"
    })
    await expect(supervisor.call('rose.name', { image, pack: packId, mask: { size: [10, 10], counts: '0' } })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: `request.mask.size: the mask is 10×10 (height×width) but the image is ${size.height}×${size.width}`
    })
    await expect(supervisor.call('rose.refine', { image, pack: packId, request: { situation: 'name' as never } })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: 'request.situation: expected "mask", "category" or "missed", got "name"'
    })
  })

  test('EXPECTED FAILURE – activating a broken pack reports it and the host keeps the active pack', async () => {
    await expect(supervisor.call('pack.activate', { id: join(packs, 'zz-broken') })).rejects.toMatchObject({ code: 'PACK_BROKEN' })
    expect((await supervisor.call('engine.status', {})).activePack).toBe(packId)
    await expect(supervisor.call('rose.prepare', { image: { path: scene, key: 'scene0' } })).resolves.toMatchObject({ ...size, cached: true })
  })
})
