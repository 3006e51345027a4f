// @vitest-environment happy-dom
import { createPinia, setActivePinia } from 'pinia'
import { beforeEach, describe, expect, test } from 'vitest'
import type { ImageSummaryValue } from '../../../src-preload/contract'
import { PAGE_SIZE, useImagesStore } from '../../../src-renderer/src/stores/images'
import { useSessionStore } from '../../../src-renderer/src/stores/session'
import { FakeApi } from '../fake-api'

const TOTAL = 10_000

function row(index: number, status: ImageSummaryValue['status'] = 'new'): ImageSummaryValue {
  return { id: index + 1, path: `img/${index + 1}.jpg`, width: 640, height: 480, status, instanceCount: 0 }
}

let api: FakeApi
let status: ImageSummaryValue['status']

beforeEach(() => {
  setActivePinia(createPinia())
  status = 'new'
  api = new FakeApi()
    .handle('images:list', ({ offset, limit }) => ({
      total: TOTAL,
      items: Array.from({ length: Math.max(0, Math.min(limit, TOTAL - offset)) }, (_, i) => row(offset + i, status))
    }))
    .handle('images:get', ({ id }) => ({ ...row(id - 1, status), orientation: 1, fileSize: 1, contentHash: 'h', format: 'jpeg', addedAt: 't' }))
    .handle('images:neighbour', ({ id, direction }) => {
      const target = direction === 'next' ? (id < TOTAL ? id + 1 : null) : id > 1 ? id - 1 : null
      return { id: target, index: (target ?? id) - 1 }
    })
  useSessionStore().attach(api)
})

describe('useImagesStore', () => {
  test('loads only the pages under the requested rows, once each, even when asked twice at once', async () => {
    const images = useImagesStore()
    await Promise.all([images.ensureRange(5_000, 5_030), images.ensureRange(5_010, 5_020)])
    expect(api.requests('images:list')).toEqual([{ offset: 5_000, limit: PAGE_SIZE }])
    expect(images.total).toBe(TOTAL)
    expect(images.rowAt(5_010)?.id).toBe(5_011)
    expect(images.rowAt(100)).toBeUndefined()
  })

  test('a page straddling rows is loaded for both sides of a page boundary', async () => {
    const images = useImagesStore()
    await images.ensureRange(195, 205)
    expect(api.requests('images:list').map((r) => r.offset)).toEqual([0, 200])
  })

  test('refresh keeps showing loaded rows until their replacement arrives, then shows the new data', async () => {
    const images = useImagesStore()
    await images.ensureRange(0, 10)
    status = 'done'
    const refreshed = images.refresh()
    expect(images.rowAt(3)?.status).toBe('new')
    await refreshed
    expect(images.rowAt(3)?.status).toBe('done')
    await images.ensureRange(0, 10)
    expect(api.requests('images:list')).toHaveLength(2)
  })

  test('opening by id finds the list index, also for the first and the last image', async () => {
    const images = useImagesStore()
    await images.open(42)
    expect([images.currentIndex, images.current?.path]).toEqual([41, 'img/42.jpg'])
    await images.open(1)
    expect(images.currentIndex).toBe(0)
    await images.open(TOTAL)
    expect(images.currentIndex).toBe(TOTAL - 1)
  })
})
