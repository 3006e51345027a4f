// @vitest-environment happy-dom
import { createPinia, setActivePinia } from 'pinia'
import { beforeEach, describe, expect, test } from 'vitest'
import type { InstanceValue } from '../../../src-preload/contract'
import { useInstancesStore } from '../../../src-renderer/src/stores/instances'
import { useNotificationsStore } from '../../../src-renderer/src/stores/notifications'
import { clampThreshold, proposalsAbove, useReviewStore } from '../../../src-renderer/src/stores/review'
import { useSessionStore } from '../../../src-renderer/src/stores/session'
import { FakeApi } from '../fake-api'

function instance(id: number, status: InstanceValue['status'], score: number | null): InstanceValue {
  return {
    id,
    imageId: 1,
    rle: { size: [10, 10], counts: '0:' },
    bbox: [0, 0, 1, 1],
    area: 1,
    categoryText: 'circle',
    categoryId: 1,
    score,
    status,
    source: 'model',
    modelVersion: 'rose-tiny@1.0.0',
    createdAt: 't',
    updatedAt: 't'
  }
}

const ITEMS = [
  instance(1, 'proposed', 0.91),
  instance(2, 'proposed', 0.5),
  instance(3, 'proposed', 0.49),
  instance(4, 'proposed', null),
  instance(5, 'accepted', 0.99),
  instance(6, 'rejected', 0.95)
]

let api: FakeApi

beforeEach(async () => {
  setActivePinia(createPinia())
  localStorage.clear()
  api = new FakeApi()
    .handle('instances:list', () => ITEMS)
    .handle('instances:updateMany', ({ ids, status }) => ITEMS.filter((i) => ids.includes(i.id)).map((i) => ({ ...i, status: status! })))
  useSessionStore().attach(api)
  await useInstancesStore().load(1)
})

describe('proposalsAbove', () => {
  test('keeps proposals scoring at least the threshold; accepted, rejected and unscored ones never', () => {
    expect(proposalsAbove(ITEMS, 0.5).map((i) => i.id)).toEqual([1, 2])
    expect(proposalsAbove(ITEMS, 0).map((i) => i.id)).toEqual([1, 2, 3])
    expect(proposalsAbove(ITEMS, 1)).toEqual([])
  })

  test('thresholds are clamped to [0, 1] and kept to the hundredth', () => {
    expect([clampThreshold(-0.2), clampThreshold(1.7), clampThreshold(0.456), clampThreshold(Number.NaN)]).toEqual([0, 1, 0.46, 0.5])
  })
})

describe('useReviewStore', () => {
  test('accepts exactly the proposals at or above the threshold in one updateMany', async () => {
    const review = useReviewStore()
    review.setThreshold(0.5)
    expect(await review.acceptAbove()).toBe(2)
    expect(api.requests('instances:updateMany')).toEqual([{ ids: [1, 2], status: 'accepted' }])
    expect(useInstancesStore().items.map((i) => i.status)).toEqual(['accepted', 'accepted', 'proposed', 'proposed', 'accepted', 'rejected'])
    expect(useNotificationsStore().notices.at(-1)?.text).toBe('Accepted 2 proposals scoring 0.50 or more')
  })

  test('rejects every remaining proposal, unscored ones included, in one updateMany', async () => {
    const review = useReviewStore()
    expect(await review.rejectRemaining()).toBe(4)
    expect(api.requests('instances:updateMany')).toEqual([{ ids: [1, 2, 3, 4], status: 'rejected' }])
  })

  test('says so when no proposal reaches the threshold, and asks main nothing', async () => {
    const review = useReviewStore()
    review.setThreshold(0.95)
    expect(await review.acceptAbove()).toBe(0)
    expect(api.requests('instances:updateMany')).toEqual([])
    expect(useNotificationsStore().notices.at(-1)?.text).toBe('No proposal on this image scores 0.95 or more')
  })

  test('the threshold outlives the store (a reload keeps what the team settled on)', () => {
    useReviewStore().setThreshold(0.72)
    setActivePinia(createPinia())
    useSessionStore().attach(api)
    expect(useReviewStore().threshold).toBe(0.72)
  })
})
