// @vitest-environment happy-dom
import { createPinia, setActivePinia } from 'pinia'
import { beforeEach, describe, expect, test, vi } from 'vitest'
import type { HistoryStepValue, InstanceValue } from '../../../src-preload/contract'
import { ExpectedError } from '../../../src-renderer/src/api'
import { useImagesStore } from '../../../src-renderer/src/stores/images'
import { useInstancesStore } from '../../../src-renderer/src/stores/instances'
import { useNotificationsStore } from '../../../src-renderer/src/stores/notifications'
import { PREPARE_DELAY_MS, useEngineStore } from '../../../src-renderer/src/stores/engine'
import { usePromptStore } from '../../../src-renderer/src/stores/prompt'
import { useSessionStore } from '../../../src-renderer/src/stores/session'
import { useWorkbenchStore } from '../../../src-renderer/src/stores/workbench'
import { FakeApi } from '../fake-api'

function instance(id: number, imageId: number, status: InstanceValue['status'] = 'accepted'): InstanceValue {
  return {
    id,
    imageId,
    rle: { size: [10, 10], counts: '0:' },
    bbox: [0, 0, 1, 1],
    area: 1,
    categoryText: 'cat',
    categoryId: 1,
    score: null,
    status,
    source: 'human',
    modelVersion: null,
    createdAt: 't',
    updatedAt: 't'
  }
}

let api: FakeApi
let store: Map<number, InstanceValue[]>
let nextStep: HistoryStepValue

beforeEach(() => {
  setActivePinia(createPinia())
  store = new Map([
    [1, [instance(10, 1)]],
    [2, [instance(20, 2)]]
  ])
  nextStep = { canUndo: false, canRedo: true, undoLabel: null, redoLabel: 'Draw polygon', applied: true, label: 'Draw polygon', imageId: 2 }
  api = new FakeApi()
    .handle('images:get', ({ id }) => ({ id, path: `${id}.jpg`, width: 10, height: 10, status: 'new', instanceCount: 1, orientation: 1, fileSize: 1, contentHash: 'h', format: 'jpeg', addedAt: 't' }))
    .handle('images:neighbour', ({ id }) => ({ id: id > 1 ? id - 1 : null, index: id > 1 ? id - 2 : 0 }))
    .handle('instances:list', ({ imageId }) => store.get(imageId) ?? [])
    .handle('history:undo', () => nextStep)
    .handle('instances:update', ({ id, status }) => ({ ...instance(id, 1), status: status ?? 'accepted' }))
    .handle('categories:list', () => [])
    .handle('engine:prepare', () => ({ width: 10, height: 10, cached: false }))
    .handle('images:list', ({ offset, limit }) => ({
      total: 50,
      items: Array.from({ length: Math.min(limit, 50 - offset) }, (_, i) => ({
        id: offset + i + 1,
        path: `${offset + i + 1}.jpg`,
        width: 10,
        height: 10,
        status: 'new' as const,
        instanceCount: 0
      }))
    }))
  useSessionStore().attach(api)
})

describe('useWorkbenchStore', () => {
  test('undo of a step on another image opens that image and its instances', async () => {
    const workbench = useWorkbenchStore()
    await workbench.openImage(1, 0)
    await workbench.undo()
    expect(useImagesStore().currentId).toBe(2)
    expect(useImagesStore().currentIndex).toBe(1)
    expect(useInstancesStore().items.map((i) => i.id)).toEqual([20])
    expect(useNotificationsStore().notices.at(-1)?.text).toBe('Undid: Draw polygon')
  })

  test('undo with nothing to undo says so and stays on the image', async () => {
    nextStep = { ...nextStep, applied: false, label: null, imageId: null }
    const workbench = useWorkbenchStore()
    await workbench.openImage(1, 0)
    await workbench.undo()
    expect(useImagesStore().currentId).toBe(1)
    expect(useNotificationsStore().notices.at(-1)?.text).toBe('Nothing to undo')
  })

  test('accept and reject act on the selected instance only', async () => {
    const workbench = useWorkbenchStore()
    const instances = useInstancesStore()
    await workbench.openImage(1, 0)
    await workbench.setStatus('rejected')
    expect(api.requests('instances:update')).toEqual([])
    instances.select(10)
    await workbench.setStatus('rejected')
    expect(api.requests('instances:update')).toEqual([{ id: 10, status: 'rejected' }])
    expect(instances.selected?.status).toBe('rejected')
  })

  test('EXPECTED FAILURE – a refused polygon is reported with main\'s message and returns false', async () => {
    api.handle('instances:createFromPolygon', () => {
      throw new ExpectedError('EMPTY_MASK', 'the polygon covers no pixel of image 1 (1.jpg)', 'ExpectedError')
    })
    const logged = vi.spyOn(console, 'error').mockImplementation(() => {})
    const workbench = useWorkbenchStore()
    await workbench.openImage(1, 0)
    await expect(workbench.savePolygon([0, 0, 0.1, 0, 0.1, 0.1], 'speck')).resolves.toBe(false)
    expect(useNotificationsStore().notices.at(-1)).toMatchObject({
      kind: 'error',
      text: 'Saving the polygon: the polygon covers no pixel of image 1 (1.jpg)'
    })
    logged.mockRestore()
  })

  test('quick presses of D while an image loads add up to one jump, none is lost', async () => {
    const workbench = useWorkbenchStore()
    const images = useImagesStore()
    await images.refresh()
    await workbench.openImage(1, 0)
    api.calls.length = 0
    await Promise.all([workbench.step('next'), workbench.step('next'), workbench.step('next'), workbench.step('previous')])
    expect([images.currentId, images.currentIndex]).toEqual([3, 2])
    // The first press opened image 2; the other three arrived meanwhile and became one jump of +1.
    expect(api.requests('images:get')).toEqual([{ id: 2 }, { id: 3 }])
  })

  test('stepping before the first image tells the user instead of failing', async () => {
    const workbench = useWorkbenchStore()
    await useImagesStore().refresh()
    await workbench.openImage(1, 0)
    await workbench.step('previous')
    expect(useImagesStore().currentId).toBe(1)
    expect(useNotificationsStore().notices.at(-1)?.text).toBe('This is the first image')
  })

  test('an image that stays open is prepared for box prompts, with the next two in list order prefetched', async () => {
    vi.useFakeTimers()
    try {
      const workbench = useWorkbenchStore()
      await useImagesStore().refresh()
      await workbench.openImage(5, 4)
      expect(api.requests('engine:prepare')).toEqual([])
      await vi.advanceTimersByTimeAsync(PREPARE_DELAY_MS)
      expect(api.requests('engine:prepare')).toEqual([{ imageId: 5, nextImageIds: [6, 7] }])
    } finally {
      vi.useRealTimers()
    }
  })

  test('skimming through images prepares only the one the user stops on, and nothing when there is no engine', async () => {
    vi.useFakeTimers()
    try {
      const workbench = useWorkbenchStore()
      await useImagesStore().refresh()
      await workbench.openImage(1, 0)
      await workbench.openImage(2, 1)
      await workbench.openImage(49, 48)
      await vi.advanceTimersByTimeAsync(PREPARE_DELAY_MS)
      expect(api.requests('engine:prepare')).toEqual([{ imageId: 49, nextImageIds: [50] }])
      useEngineStore().onStatus({
        state: 'unavailable',
        message: 'this app was started without an engine process',
        pid: null,
        setting: 'auto',
        cuda: { available: false, kind: null, reason: null, fix: null, error: null },
        graphs: [],
        segmenter: null,
        queue: null
      })
      await workbench.openImage(3, 2)
      await vi.advanceTimersByTimeAsync(PREPARE_DELAY_MS)
      expect(api.requests('engine:prepare')).toHaveLength(1)
    } finally {
      vi.useRealTimers()
    }
  })

  test('saveMask stores the newest prompt\'s mask as an accepted human instance with its score and selects it', async () => {
    const rle = { size: [10, 10] as [number, number], counts: '05500' }
    api.handle('engine:segment', () => ({ rle, bbox: [0, 0, 5, 5], area: 25, score: 0.93, timings: { embeddingMs: 0, decoderMs: 1, postprocessMs: 0, totalMs: 1 } }))
    api.handle('instances:createFromMask', (r) => ({ ...instance(30, r.imageId), rle: r.rle, area: 25, categoryText: r.categoryText, score: r.score ?? null }))
    const workbench = useWorkbenchStore()
    await workbench.openImage(1, 0)
    usePromptStore().request(1, { box: [0, 0, 5, 5] })
    await expect(workbench.saveMask('circle')).resolves.toBe(true)
    expect(api.requests('instances:createFromMask')).toEqual([
      { imageId: 1, rle, categoryText: 'circle', status: 'accepted', source: 'human', score: 0.93 }
    ])
    expect(useInstancesStore().selectedId).toBe(30)
  })

  test('EXPECTED FAILURE – saveMask stores nothing and says why when the prompt selected no pixel', async () => {
    api.handle('engine:segment', () => ({ rle: { size: [10, 10], counts: ':' }, bbox: [0, 0, 0, 0], area: 0, score: 0.1, timings: { embeddingMs: 0, decoderMs: 1, postprocessMs: 0, totalMs: 1 } }))
    const workbench = useWorkbenchStore()
    await workbench.openImage(1, 0)
    usePromptStore().request(1, { points: [{ x: 1, y: 1, positive: false }] })
    await expect(workbench.saveMask('nothing')).resolves.toBe(false)
    expect(api.requests('instances:createFromMask')).toEqual([])
    expect(useNotificationsStore().notices.at(-1)).toMatchObject({ kind: 'error', text: 'Nothing to save: the prompt selects no pixel' })
  })
})
