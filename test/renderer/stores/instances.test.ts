// @vitest-environment happy-dom
import { createPinia, setActivePinia } from 'pinia'
import { beforeEach, describe, expect, test } from 'vitest'
import type { InstanceValue } from '../../../src-preload/contract'
import { useInstancesStore } from '../../../src-renderer/src/stores/instances'
import { useSessionStore } from '../../../src-renderer/src/stores/session'
import { FakeApi } from '../fake-api'

function instance(id: number, imageId: number): InstanceValue {
  return {
    id,
    imageId,
    rle: { size: [4, 4], counts: '0:' },
    bbox: [0, 0, 1, 1],
    area: 1,
    categoryText: 'cat',
    categoryId: null,
    score: null,
    status: 'proposed',
    source: 'model',
    modelVersion: null,
    createdAt: 't',
    updatedAt: 't'
  }
}

let api: FakeApi
const gates = new Map<number, () => void>()

beforeEach(() => {
  setActivePinia(createPinia())
  gates.clear()
  api = new FakeApi().handle(
    'instances:list',
    ({ imageId }) => new Promise<InstanceValue[]>((resolve) => gates.set(imageId, () => resolve([instance(imageId * 10, imageId)])))
  )
  useSessionStore().attach(api)
})

describe('useInstancesStore', () => {
  test('a slow answer for an earlier image never overwrites the image opened after it', async () => {
    const instances = useInstancesStore()
    const first = instances.load(1)
    const second = instances.load(2)
    gates.get(2)!()
    await second
    gates.get(1)!()
    await first
    expect(instances.imageId).toBe(2)
    expect(instances.items.map((i) => i.id)).toEqual([20])
  })

  test('selection moves through the list with wrap-around and is cleared when the image changes', async () => {
    const instances = useInstancesStore()
    api.handle('instances:list', () => [instance(1, 1), instance(2, 1), instance(3, 1)])
    await instances.load(1)
    instances.selectRelative(-1)
    expect(instances.selectedId).toBe(3)
    instances.selectRelative(1)
    expect(instances.selectedId).toBe(1)
    await instances.load(2)
    expect(instances.selectedId).toBeNull()
  })
})
