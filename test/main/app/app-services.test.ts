import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import sharp from 'sharp'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { AppServices } from '../../../src-main/app/app-services'
import { ProjectStore } from '../../../src-main/store/project-store'
import { REPO_ROOT } from '../../helpers/serve-process'

async function call(services: AppServices, channel: string, request: unknown): Promise<any> {
  const envelope = await services.dispatch(channel, request)
  if (!envelope.ok) throw new Error(`${envelope.error.code}: ${envelope.error.message}`)
  return envelope.value
}

describe('AppServices', () => {
  let dir: string
  let services: AppServices | undefined

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'rose-app-'))
  })
  afterEach(async () => {
    await services?.close()
    services = undefined
    rmSync(dir, { recursive: true, force: true })
  })

  it('creates the default project on first start with the bundled samples, and not again on the next start', async () => {
    const resources = join(dir, 'resources')
    mkdirSync(join(resources, 'samples'), { recursive: true })
    await sharp({ create: { width: 64, height: 48, channels: 3, background: '#c03030' } }).png().toFile(join(resources, 'samples', 'red.png'))
    await sharp({ create: { width: 32, height: 32, channels: 3, background: '#3030c0' } }).jpeg().toFile(join(resources, 'samples', 'blue.jpg'))
    const options = { version: '1', transport: 'websocket' as const, resourcesDir: resources, defaultProjectDir: join(dir, 'data', 'projects', 'default') }

    services = await AppServices.create(options)
    const info = await call(services, 'project:current', {})
    expect(info).toMatchObject({ path: options.defaultProjectDir, name: 'default', imageCount: 2 })
    const list = await call(services, 'images:list', { offset: 0, limit: 10 })
    expect(list.items.map((i: any) => [i.path, i.width, i.height, i.status])).toEqual([
      ['samples/blue.jpg', 32, 32, 'new'],
      ['samples/red.png', 64, 48, 'new']
    ])
    // The project holds its own copies: it does not depend on where the app is installed.
    expect(readdirSync(join(options.defaultProjectDir, 'samples')).sort()).toEqual(['blue.jpg', 'red.png'])
    await services.close()
    rmSync(resources, { recursive: true })

    services = await AppServices.create(options)
    expect((await call(services, 'project:current', {})).imageCount).toBe(2)
    expect((await call(services, 'jobs:list', {})).filter((j: any) => j.kind === 'import')).toHaveLength(1)
  })

  it('still adds the samples when the first start died after creating the database', async () => {
    const resources = join(dir, 'resources')
    mkdirSync(join(resources, 'samples'), { recursive: true })
    await sharp({ create: { width: 16, height: 16, channels: 3, background: '#30c030' } }).png().toFile(join(resources, 'samples', 'green.png'))
    const defaultProjectDir = join(dir, 'data', 'projects', 'default')
    ProjectStore.open(defaultProjectDir).close() // what a start killed before the sample import leaves behind
    services = await AppServices.create({ version: '1', transport: 'websocket', resourcesDir: resources, defaultProjectDir })
    expect((await call(services, 'images:list', { offset: 0, limit: 10 })).items.map((i: any) => i.path)).toEqual(['samples/green.png'])
  })

  it('imports every bundled sample without a failure', async () => {
    const samples = join(REPO_ROOT, 'resources', 'samples')
    const images = readdirSync(samples).filter((f) => /\.(jpe?g|png|webp)$/i.test(f))
    expect(images.length).toBeGreaterThanOrEqual(6)
    services = await AppServices.create({
      version: '1',
      transport: 'websocket',
      resourcesDir: join(REPO_ROOT, 'resources'),
      defaultProjectDir: join(dir, 'default')
    })
    const jobs = await call(services, 'jobs:list', {})
    expect(jobs[0]).toMatchObject({ kind: 'import', state: 'succeeded', result: { imported: images.length, failed: [] } })
  })

  it('switches projects without a restart and keeps each project to itself', async () => {
    services = await AppServices.create({
      version: '1',
      transport: 'websocket',
      resourcesDir: join(dir, 'none'),
      projectDir: join(dir, 'first'),
      defaultProjectDir: join(dir, 'default')
    })
    services.project.store.insertImages([
      { path: 'x.png', width: 10, height: 10, orientation: 1, fileSize: 1, contentHash: 'x', format: 'png' }
    ])
    const second = await call(services, 'project:open', { path: join(dir, 'second') })
    expect(second).toMatchObject({ name: 'second', imageCount: 0 })
    expect(existsSync(join(dir, 'second', '.rose', 'project.db'))).toBe(true)
    const first = await call(services, 'project:open', { path: join(dir, 'first') })
    expect(first).toMatchObject({ name: 'first', imageCount: 1 })
  })

  it('EXPECTED FAILURE – names the folder of a project that cannot be opened and keeps the current one', async () => {
    services = await AppServices.create({
      version: '1',
      transport: 'websocket',
      resourcesDir: join(dir, 'none'),
      projectDir: join(dir, 'p'),
      defaultProjectDir: join(dir, 'default')
    })
    const blocker = join(dir, 'not-a-folder')
    await sharp({ create: { width: 1, height: 1, channels: 3, background: '#000' } }).png().toFile(blocker)
    const envelope = await services.dispatch('project:open', { path: blocker })
    expect(envelope).toMatchObject({ ok: false, error: { code: 'PROJECT_OPEN_FAILED' } })
    expect(envelope.ok ? '' : envelope.error.message).toMatch(new RegExp(`^cannot open the project in ${blocker}: `))
    expect((await call(services, 'project:current', {})).name).toBe('p')
  })

  it('refines a mask in place and bulk-accepts proposals of one image, refusing a bulk edit across images', async () => {
    services = await AppServices.create({
      version: '1',
      transport: 'websocket',
      resourcesDir: join(dir, 'none'),
      projectDir: join(dir, 'p'),
      defaultProjectDir: join(dir, 'default')
    })
    services.project.store.insertImages([
      { path: 'a.png', width: 40, height: 30, orientation: 1, fileSize: 1, contentHash: 'a', format: 'png' },
      { path: 'b.png', width: 40, height: 30, orientation: 1, fileSize: 1, contentHash: 'b', format: 'png' }
    ])
    const square = [[5, 5, 15, 5, 15, 15, 5, 15]]
    const a1 = await call(services, 'instances:createFromPolygon', { imageId: 1, polygons: square, categoryText: 'x', status: 'proposed' })
    const a2 = await call(services, 'instances:createFromPolygon', { imageId: 1, polygons: square, categoryText: 'y', status: 'proposed' })
    const b1 = await call(services, 'instances:createFromPolygon', { imageId: 2, polygons: square, categoryText: 'z', status: 'proposed' })

    const accepted = await call(services, 'instances:updateMany', { ids: [a1.id, a2.id], status: 'accepted' })
    expect(accepted.map((i: any) => i.status)).toEqual(['accepted', 'accepted'])
    await expect(services.dispatch('instances:updateMany', { ids: [a1.id, b1.id], status: 'rejected' })).resolves.toEqual({
      ok: false,
      error: { name: 'InvalidArgumentError', code: 'INVALID_ARGUMENT', message: 'ids: all instances of one bulk edit must belong to one image' }
    })

    const wider = await call(services, 'instances:createFromPolygon', { imageId: 2, polygons: [[2, 2, 30, 2, 30, 20, 2, 20]], categoryText: 'tmp' })
    const refined = await call(services, 'instances:replaceMask', { id: a1.id, rle: wider.rle, categoryText: 'x fixed' })
    expect(refined).toMatchObject({ id: a1.id, area: wider.area, source: 'refined', categoryText: 'x fixed', status: 'accepted' })
    await expect(
      services.dispatch('instances:replaceMask', { id: a1.id, rle: { size: [30, 40], counts: '!!' } })
    ).resolves.toMatchObject({ ok: false, error: { code: 'INVALID_ARGUMENT' } })
    const undone = await call(services, 'history:undo', {})
    expect(undone).toMatchObject({ applied: true, label: 'Refine instance', imageId: 1 })
    expect((await call(services, 'instances:list', { imageId: 1 }))[0]).toMatchObject({ id: a1.id, area: a1.area, categoryText: 'x' })
  })

  it('EXPECTED FAILURE – reports a missing image id by number', async () => {
    services = await AppServices.create({
      version: '1',
      transport: 'websocket',
      resourcesDir: join(dir, 'none'),
      projectDir: join(dir, 'p'),
      defaultProjectDir: join(dir, 'default')
    })
    await expect(services.dispatch('instances:list', { imageId: 5 })).resolves.toEqual({
      ok: false,
      error: { name: 'NotFoundError', code: 'NOT_FOUND', message: 'image 5 does not exist in this project' }
    })
  })
})
