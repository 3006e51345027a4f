// The ROSE channels through the built serve mode, as the UI calls them: packs listed and activated,
// an image auto-annotated, a proposal refined by its instance id, a missed object found by its box
// and by a description, a name suggested for a mask — each answered with mask, name and score.
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { InstanceValue } from '../../src-preload/contract'
import { startServe, type ServeProcess } from '../helpers/serve-process'
import { TestWsClient } from '../helpers/ws-client'
import { GOLDEN_PACK_DIR, GoldenFiles, REPO_ROOT } from '../main/engine/rose/golden-files'

describe('ROSE channels through serve mode', () => {
  let dir: string
  let server: ServeProcess
  let client: TestWsClient
  let imageId: number
  let pack: string
  let packs: string
  const golden = new GoldenFiles(GOLDEN_PACK_DIR)

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rose-channels-'))
    packs = join(dir, 'packs')
    mkdirSync(packs)
    if (!GOLDEN_PACK_DIR.startsWith(join(REPO_ROOT, 'resources'))) cpSync(GOLDEN_PACK_DIR, join(packs, basename(GOLDEN_PACK_DIR)), { recursive: true })
    // A second version of the same pack, to show that the project's choice survives a restart.
    cpSync(GOLDEN_PACK_DIR, join(packs, 'zz-second'), { recursive: true })
    const manifest = JSON.parse(readFileSync(join(packs, 'zz-second', 'manifest.json'), 'utf8')) as { version: string }
    writeFileSync(join(packs, 'zz-second', 'manifest.json'), JSON.stringify({ ...manifest, version: `${manifest.version}-second` }))
    mkdirSync(join(dir, 'project', 'images'), { recursive: true })
    await golden.writeImage(golden.dense[0]!.image, join(dir, 'project', 'images', 'scene0.png'))
    server = await startServe(['--project', join(dir, 'project'), '--no-samples'], { ROSE_PACKS_DIR: packs })
    client = await TestWsClient.connect(server.origin, server.token)
    const { jobId } = await client.call('images:import', { paths: [join(dir, 'project', 'images')], recursive: true })
    await client.waitForEvent('job:done', (p) => p.id === jobId)
    imageId = (await client.call('images:list', { offset: 0, limit: 10 })).items[0]!.id
  }, 120_000)

  afterAll(async () => {
    client?.close()
    await server?.stop()
    if (dir) rmSync(dir, { recursive: true, force: true })
  })

  it('lists the packs and activates one, which the engine status then names', async () => {
    const packs = await client.call('engine:packs', {})
    const usable = packs.find((p) => p.state === 'ok')!
    expect(usable).toMatchObject({ active: false, error: null })
    pack = usable.id
    const activated = await client.call('engine:activatePack', { id: pack })
    expect(activated).toMatchObject({ id: pack, active: true })
    expect((await client.call('engine:status', {})).activePack).toBe(pack)
    await expect(client.callRaw('engine:activatePack', { id: 'no-such@pack' })).resolves.toMatchObject({
      ok: false,
      error: { code: 'INVALID_ARGUMENT', message: 'id: no installed model pack is called "no-such@pack"' }
    })
  })

  it('auto-annotates the image into proposals of that pack', async () => {
    const { jobId } = await client.call('engine:autoAnnotate', { imageIds: [imageId] })
    const done = await client.waitForEvent('job:done', (p) => p.id === jobId, 60_000)
    expect(done.result).toMatchObject({ pack, annotated: 1, failed: [] })
    const instances = (await client.call('instances:list', { imageId })) as InstanceValue[]
    expect(instances.map((i) => i.categoryText)).toEqual(golden.dense[0]!.instances.map((i) => i.name))
    expect(instances.every((i) => i.modelVersion === pack && i.status === 'proposed')).toBe(true)
  })

  it('refines a damaged mask, finds a missed object by box and by description, and names a mask', async () => {
    const damaged = await client.call('instances:createFromMask', { imageId, rle: golden.refine.mask_rle, categoryText: 'thing', status: 'proposed', source: 'human' })
    const refined = await client.call('engine:refine', { imageId, instanceId: damaged.id, situation: 'mask' })
    expect(refined).toMatchObject({ pack, name: golden.refine.name_out, patch: golden.refine.patch, prompt: golden.refine.user_prompt })
    expect(refined.rle.size).toEqual(golden.refine.mask_rle.size)
    expect(refined.score).toBeGreaterThan(0)

    const wrong = await client.call('engine:refine', { imageId, instanceId: damaged.id, situation: 'category' })
    expect(wrong.prompt).toContain('wrongly predicted as thing')

    const [x1, y1, x2, y2] = golden.box.box_xyxy
    const missed = await client.call('engine:refine', { imageId, situation: 'missed', box: [x1, y1, x2 - x1, y2 - y1] })
    expect(missed.prompt).toMatch(/The target is in \[\d+, \d+, \d+, \d+\]\./)
    expect(missed.area).toBeGreaterThanOrEqual(0)

    const referred = await client.call('engine:refer', { imageId, description: 'the large square' })
    expect(referred.prompt).toBe('<image> What is the large square in this image? Please output the segmentation mask.')

    const named = await client.call('engine:suggestName', { imageId, rle: golden.refine.mask_rle })
    expect(named.name).toBe(golden.refine.name_out)
  }, 60_000)

  it('keeps the project’s active pack across a restart of the server', async () => {
    const second = (await client.call('engine:packs', {})).find((p) => p.dir.endsWith('zz-second'))!
    await client.call('engine:activatePack', { id: second.id })
    client.close()
    await server.stop()
    server = await startServe(['--project', join(dir, 'project'), '--no-samples'], { ROSE_PACKS_DIR: packs })
    client = await TestWsClient.connect(server.origin, server.token)
    const referred = await client.call('engine:refer', { imageId, description: 'the large square' })
    expect(referred.pack).toBe(second.id)
    expect((await client.call('engine:packs', {})).find((p) => p.active)?.id).toBe(second.id)
  }, 60_000)

  it('BAD CALL – a missed-object refinement without a box is refused at the boundary', async () => {
    await expect(client.callRaw('engine:refine', { imageId, situation: 'missed' })).resolves.toMatchObject({
      ok: false,
      error: { code: 'INVALID_ARGUMENT', message: 'engine:refine: request: the mask and category situations need instanceId or rle; the missed situation needs box' }
    })
  })
})
