import { defineStore } from 'pinia'
import { computed, ref, shallowRef } from 'vue'
import type { InstanceSourceValue, InstanceStatusValue, InstanceValue, RleValue } from '../../../src-preload/contract'
import { useSessionStore } from './session'

/** The instances of the open image, and which one is selected or hovered (shared by canvas and list). */
export const useInstancesStore = defineStore('instances', () => {
  const session = useSessionStore()
  const imageId = ref<number | null>(null)
  // Instances carry RLE strings that can be long: replaced wholesale, never deeply observed.
  const items = shallowRef<readonly InstanceValue[]>([])
  const selectedId = ref<number | null>(null)
  const hoveredId = ref<number | null>(null)
  const loading = ref(false)
  let loadSeq = 0

  const selected = computed(() => items.value.find((i) => i.id === selectedId.value) ?? null)

  /** Loads the instances of an image (null clears); a slower earlier load never overwrites a later one. */
  async function load(id: number | null): Promise<void> {
    const seq = ++loadSeq
    if (id !== imageId.value) {
      selectedId.value = null
      hoveredId.value = null
    }
    imageId.value = id
    if (id === null) {
      items.value = []
      return
    }
    loading.value = true
    try {
      const list = await session.requireApi().invoke('instances:list', { imageId: id })
      if (seq !== loadSeq) return
      items.value = list
      if (selectedId.value !== null && !list.some((i) => i.id === selectedId.value)) selectedId.value = null
      if (hoveredId.value !== null && !list.some((i) => i.id === hoveredId.value)) hoveredId.value = null
    } finally {
      if (seq === loadSeq) loading.value = false
    }
  }

  /** Reloads the open image's instances. */
  function reload(): Promise<void> {
    return load(imageId.value)
  }

  function replace(instance: InstanceValue): void {
    if (instance.imageId !== imageId.value) return
    const index = items.value.findIndex((i) => i.id === instance.id)
    items.value = index < 0 ? [...items.value, instance] : items.value.map((i) => (i.id === instance.id ? instance : i))
  }

  /** Stores a drawn polygon (image pixels, x0 y0 x1 y1 …) as an accepted instance and selects it. */
  async function createFromPolygon(polygon: readonly number[], categoryText: string): Promise<InstanceValue> {
    if (imageId.value === null) throw new Error('createFromPolygon needs an open image')
    const created = await session.requireApi().invoke('instances:createFromPolygon', {
      imageId: imageId.value,
      polygons: [[...polygon]],
      categoryText,
      status: 'accepted'
    })
    replace(created)
    selectedId.value = created.id
    return created
  }

  /**
   * Stores an engine-made mask (COCO RLE of the open image) as an accepted instance and selects it:
   * `human` for a box/point mask the user guided, `refined` for a text correction's answer.
   */
  async function createFromMask(rle: RleValue, categoryText: string, score: number | null, source: InstanceSourceValue = 'human'): Promise<InstanceValue> {
    if (imageId.value === null) throw new Error('createFromMask needs an open image')
    const created = await session.requireApi().invoke('instances:createFromMask', {
      imageId: imageId.value,
      rle: { size: [rle.size[0], rle.size[1]], counts: rle.counts },
      categoryText,
      status: 'accepted',
      source,
      score
    })
    replace(created)
    selectedId.value = created.id
    return created
  }

  /** Sets the review status of one instance. */
  async function setStatus(id: number, status: InstanceStatusValue): Promise<void> {
    const current = items.value.find((i) => i.id === id)
    if (current?.status === status) return
    replace(await session.requireApi().invoke('instances:update', { id, status }))
  }

  /** Sets the review status of several instances of the open image as one undoable step; returns how many changed. */
  async function setStatusMany(ids: readonly number[], status: InstanceStatusValue): Promise<number> {
    const changing = ids.filter((id) => items.value.find((i) => i.id === id)?.status !== status)
    if (changing.length === 0) return 0
    const updated = await session.requireApi().invoke('instances:updateMany', { ids: changing, status })
    const byId = new Map(updated.map((i) => [i.id, i]))
    items.value = items.value.map((i) => byId.get(i.id) ?? i)
    return updated.length
  }

  /**
   * Replaces an instance's mask (and name) with a text correction's answer as one undoable step,
   * keeping its id; it becomes accepted, source `refined`.
   */
  async function replaceMask(id: number, rle: RleValue, categoryText: string, score: number | null): Promise<InstanceValue> {
    const replaced = await session.requireApi().invoke('instances:replaceMask', {
      id,
      rle: { size: [rle.size[0], rle.size[1]], counts: rle.counts },
      categoryText,
      source: 'refined',
      status: 'accepted',
      score
    })
    replace(replaced)
    return replaced
  }

  /** Renames the category of one instance. */
  async function rename(id: number, categoryText: string): Promise<void> {
    replace(await session.requireApi().invoke('instances:update', { id, categoryText }))
  }

  /** Deletes instances (one undo step). */
  async function remove(ids: readonly number[]): Promise<void> {
    if (ids.length === 0) return
    await session.requireApi().invoke('instances:delete', { ids: [...ids] })
    const gone = new Set(ids)
    items.value = items.value.filter((i) => !gone.has(i.id))
    if (selectedId.value !== null && gone.has(selectedId.value)) selectedId.value = null
    if (hoveredId.value !== null && gone.has(hoveredId.value)) hoveredId.value = null
  }

  /** Selects an instance (null clears). */
  function select(id: number | null): void {
    selectedId.value = id
  }

  /** Marks the instance under the pointer (null clears). */
  function hover(id: number | null): void {
    hoveredId.value = id
  }

  /** Moves the selection through the list, wrapping around; selects the first/last when nothing is selected. */
  function selectRelative(delta: 1 | -1): void {
    const list = items.value
    if (list.length === 0) return
    const at = list.findIndex((i) => i.id === selectedId.value)
    const next = at < 0 ? (delta > 0 ? 0 : list.length - 1) : (at + delta + list.length) % list.length
    selectedId.value = list[next]!.id
  }

  return {
    imageId,
    items,
    selectedId,
    hoveredId,
    loading,
    selected,
    load,
    reload,
    createFromPolygon,
    createFromMask,
    setStatus,
    setStatusMany,
    replaceMask,
    rename,
    remove,
    select,
    hover,
    selectRelative
  }
})
