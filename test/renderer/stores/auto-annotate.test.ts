// @vitest-environment happy-dom
import { createPinia, setActivePinia } from 'pinia'
import { beforeEach, describe, expect, test } from 'vitest'
import type { EngineStatusValue, JobInfoValue, ModelPackInfoValue } from '../../../src-preload/contract'
import { jobDoneMessage } from '../../../src-renderer/src/composables/use-rose-events'
import { useEngineStore } from '../../../src-renderer/src/stores/engine'
import { useImagesStore } from '../../../src-renderer/src/stores/images'
import { autoAnnotateReportOf, useJobsStore } from '../../../src-renderer/src/stores/jobs'
import { useNotificationsStore } from '../../../src-renderer/src/stores/notifications'
import { usePacksStore } from '../../../src-renderer/src/stores/packs'
import { useSessionStore } from '../../../src-renderer/src/stores/session'
import { useWorkbenchStore } from '../../../src-renderer/src/stores/workbench'
import { FakeApi } from '../fake-api'

const READY: EngineStatusValue = {
  state: 'ready',
  message: null,
  pid: 1,
  setting: 'auto',
  cuda: { available: false, kind: 'no-driver', reason: 'none', fix: null, error: null },
  graphs: [],
  segmenter: null,
  activePack: null,
  queue: null
}

const PACK: ModelPackInfoValue = {
  id: 'rose-tiny@1.0.0',
  name: 'rose-tiny',
  version: '1.0.0',
  description: '',
  dir: '/packs/rose-tiny',
  source: 'bundled',
  state: 'ok',
  error: null,
  active: false,
  metrics: null,
      parent: null,
  created: 't'
}

let api: FakeApi
let packs: ModelPackInfoValue[]

beforeEach(async () => {
  setActivePinia(createPinia())
  packs = [PACK]
  api = new FakeApi()
    .handle('engine:packs', () => packs)
    .handle('engine:status', () => READY)
    .handle('engine:autoAnnotate', () => ({ jobId: 41 }))
    .handle('images:get', ({ id }) => ({ id, path: `${id}.png`, width: 10, height: 10, status: 'new', instanceCount: 0, orientation: 1, fileSize: 1, contentHash: 'h', format: 'png', addedAt: 't' }))
    .handle('instances:list', () => [])
    .handle('images:list', ({ offset, limit }) => ({
      total: 30,
      items: Array.from({ length: Math.min(limit, 30 - offset) }, (_, i) => ({ id: offset + i + 1, path: `${offset + i + 1}.png`, width: 10, height: 10, status: 'new' as const, instanceCount: 0 }))
    }))
  useSessionStore().attach(api)
  useEngineStore().onStatus(READY)
  await usePacksStore().load()
})

describe('auto-annotation from the workbench', () => {
  test('Ctrl+Enter covers the open image, and the job shows as running at once', async () => {
    await useImagesStore().open(3, 2)
    expect(await useWorkbenchStore().autoAnnotate('image')).toBe(41)
    expect(api.requests('engine:autoAnnotate')).toEqual([{ imageIds: [3] }])
    expect(useJobsStore().running).toEqual([
      { jobId: 41, kind: 'auto-annotate', done: 0, total: null, ratePerSecond: null, etaSeconds: null, message: null }
    ])
  })

  test('the marked images (Ctrl+click, Shift+click ranges) and all images without proposals', async () => {
    const images = useImagesStore()
    images.toggleMark(2)
    // List indices 4–6 are images 5–7; Ctrl+click on image 5 again unmarks it.
    await images.markRange(4, 6)
    images.toggleMark(5)
    await useWorkbenchStore().autoAnnotate('marked')
    await useWorkbenchStore().autoAnnotate('all-without-proposals')
    expect(api.requests('engine:autoAnnotate')).toEqual([{ imageIds: [2, 6, 7] }, { imageIds: 'all-without-proposals' }])
  })

  test('nothing marked: says how to mark, and starts nothing', async () => {
    expect(await useWorkbenchStore().autoAnnotate('marked')).toBeNull()
    expect(useNotificationsStore().notices.at(-1)?.text).toBe('No images are marked: Ctrl+click or Shift+click images in the list')
    expect(api.requests('engine:autoAnnotate')).toEqual([])
  })

  test('EXPECTED FAILURE – no pack installed: looks again, then says so clearly and starts nothing', async () => {
    packs = []
    await usePacksStore().load()
    await useImagesStore().open(3, 2)
    expect(await useWorkbenchStore().autoAnnotate('image')).toBeNull()
    expect(api.requests('engine:packs')).toHaveLength(3)
    expect(useNotificationsStore().notices.at(-1)).toMatchObject({ kind: 'error', text: expect.stringMatching(/^Auto-annotation is not possible\. No model pack is installed\./) })
    expect(api.requests('engine:autoAnnotate')).toEqual([])
  })

  test('a pack installed since the last listing is found before refusing', async () => {
    packs = []
    await usePacksStore().load()
    packs = [PACK]
    await useImagesStore().open(3, 2)
    expect(await useWorkbenchStore().autoAnnotate('image')).toBe(41)
  })
})

describe('auto-annotation reports', () => {
  const report = { pack: 'rose-tiny@1.0.0', images: 5, annotated: 3, alreadyDone: 2, instances: 17, failed: [{ item: 'b.png', reason: 'truncated file' }], elapsedSeconds: 2, imagesPerSecond: 1.5 }
  const job = (state: JobInfoValue['state'], result: unknown, done = 0): JobInfoValue => ({
    id: 41,
    kind: 'auto-annotate',
    state,
    progress: { jobId: 41, kind: 'auto-annotate', done, total: 5, ratePerSecond: 1, etaSeconds: 2, message: null },
    result,
    error: null,
    createdAt: 't',
    updatedAt: 't'
  })

  test('the report is read from the job result, and the notice counts proposals, skipped and failed images', () => {
    expect(autoAnnotateReportOf(job('succeeded', report))).toEqual(report)
    expect(autoAnnotateReportOf(job('succeeded', { imported: 1 }))).toBeNull()
    expect(jobDoneMessage(job('succeeded', report))).toBe(
      'Auto-annotation finished: 17 proposals on 3 images, 2 images already annotated by rose-tiny@1.0.0, 1 failed (b.png: truncated file)'
    )
  })

  test('a cancelled auto-annotation says how far it got', () => {
    expect(jobDoneMessage(job('cancelled', null, 2))).toBe('Auto-annotation cancelled after 2 of 5 images')
  })
})
