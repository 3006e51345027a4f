import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { AppServices } from '../../../src-main/app/app-services'
import type { AppEvent } from '../../../src-main/app/app-events'
import type { Envelope } from '../../../src-preload/contract'
import { addImage, addMask, makeTempDir, rect, type TestProject } from './project-factory'

// The interop channels through the validating dispatcher, as the export and import dialogs call them.
describe('interop channels', () => {
  let dir: { path: string; dispose(): Promise<void> }
  let services: AppServices
  let events: AppEvent[]

  beforeEach(async () => {
    dir = await makeTempDir('rose-interop-app-')
    services = await AppServices.create({
      version: '1',
      transport: 'websocket',
      resourcesDir: join(dir.path, 'resources'),
      projectDir: join(dir.path, 'project'),
      defaultProjectDir: join(dir.path, 'default')
    })
    events = []
    services.events.onDidFire((e) => events.push(e))
    const project = { root: services.project.store.root, store: services.project.store } as TestProject
    const id = await addImage(project, 'a.png', 20, 10)
    addMask(project, id, rect(10, 20, 2, 2, 5, 5), 10, 20, 'cat')
  })
  afterEach(async () => {
    await services.close()
    await dir.dispose()
  })

  const call = (channel: string, request: unknown) => services.dispatch(channel, request)
  const value = async (channel: string, request: unknown): Promise<any> => {
    const envelope = (await call(channel, request)) as Envelope<unknown>
    if (!envelope.ok) throw new Error(`${envelope.error.code}: ${envelope.error.message}`)
    return envelope.value
  }

  it('previews an export with defaults filled in', async () => {
    expect(await value('export:preview', { options: { format: 'coco' } })).toMatchObject({ images: 1, instances: 1, categories: 1, split: null })
  })

  it('runs an export as a job that reports progress and ends with the report', async () => {
    const { jobId } = await value('export:start', { options: { format: 'coco' }, destination: join(dir.path, 'out') })
    const info = await services.project.jobs.whenDone(jobId)
    expect(info).toMatchObject({ kind: 'export', state: 'succeeded', result: { format: 'coco', images: 1, instances: 1, files: ['instances.json'] } })
    expect(existsSync(join(dir.path, 'out', 'instances.json'))).toBe(true)
    expect(events.some((e) => e.event === 'job:progress')).toBe(true)
    expect(events.some((e) => e.event === 'job:done')).toBe(true)
  })

  it('runs an annotation import as a job and announces the changed images', async () => {
    await value('export:start', { options: { format: 'coco' }, destination: join(dir.path, 'out') }).then((r) => services.project.jobs.whenDone(r.jobId))
    // Delete the instance, then bring it back from the export.
    await value('instances:delete', { ids: [1] })
    events = []
    const { jobId } = await value('annotations:import', { format: 'coco', path: join(dir.path, 'out', 'instances.json'), imageRoot: services.project.store.root })
    const info = await services.project.jobs.whenDone(jobId)
    expect(info).toMatchObject({ kind: 'annotations-import', state: 'succeeded', result: { instancesImported: 1, problems: [] } })
    expect(events.filter((e) => e.event === 'instances:changed').map((e) => e.payload)).toEqual([{ imageId: 1 }])
    expect(events.find((e) => e.event === 'images:changed')!.payload).toEqual({ ids: [1] })
  })

  it('BAD CALL – names the parameter of a malformed request', async () => {
    const bad = await call('export:preview', { options: { format: 'coco', segmentation: 'mesh' } })
    expect(bad).toMatchObject({ ok: false, error: { code: 'INVALID_ARGUMENT' } })
    expect((bad as { error: { message: string } }).error.message).toMatch(/^export:preview: options\.segmentation: /)
    const noFormat = await call('annotations:import', { path: 'x.json' })
    expect((noFormat as { error: { message: string } }).error.message).toMatch(/^annotations:import: format: /)
    const split = await call('export:start', { options: { format: 'yolo-seg', split: { valFraction: 1.5, seed: 1 } }, destination: 'out' })
    expect((split as { error: { message: string } }).error.message).toMatch(/^export:start: options\.split\.valFraction: /)
  })

  it('EXPECTED FAILURE – a job that cannot read its file fails with the reason as data', async () => {
    const { jobId } = await value('annotations:import', { format: 'coco', path: join(dir.path, 'nothing.json') })
    const info = await services.project.jobs.whenDone(jobId)
    expect(info.state).toBe('failed')
    expect(info.error).toMatchObject({ code: 'NOT_FOUND' })
    expect(info.error!.message).toContain(`cannot read ${join(dir.path, 'nothing.json')}`)
  })
})
