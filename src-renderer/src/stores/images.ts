import { defineStore } from 'pinia'
import { ref, shallowReactive, shallowRef } from 'vue'
import type { ImageDetailValue, ImageSummaryValue } from '../../../src-preload/contract'
import { useSessionStore } from './session'

/** Rows fetched per `images:list` call: one screenful many times over, small enough to answer at once. */
export const PAGE_SIZE = 200

/** The project's images as a paged, lazily loaded list, and the image that is open. */
export const useImagesStore = defineStore('images', () => {
  const session = useSessionStore()
  /** Number of images in the project; null until the first page arrives. */
  const total = ref<number | null>(null)
  const pages = shallowReactive(new Map<number, readonly ImageSummaryValue[]>())
  const currentId = ref<number | null>(null)
  const currentIndex = ref<number | null>(null)
  const current = shallowRef<ImageDetailValue | null>(null)
  /** Bumped when loaded pages went stale, so list views ask again for the rows they show. */
  const revision = ref(0)
  /** Images marked in the list (Ctrl/Shift+click) for work on several at once, such as auto-annotation. */
  const marked = shallowRef<ReadonlySet<number>>(new Set())
  // Pages that changed on the server: still shown (no flicker) until their replacement arrives.
  const stale = new Set<number>()
  const loading = new Map<number, Promise<void>>()
  let generation = 0
  let openSeq = 0

  /** The row at a list index, when its page is loaded. */
  function rowAt(index: number): ImageSummaryValue | undefined {
    return pages.get(Math.floor(index / PAGE_SIZE))?.[index % PAGE_SIZE]
  }

  /** Loads the pages covering list indices `first..last` (inclusive) that are missing or stale. */
  async function ensureRange(first: number, last: number): Promise<void> {
    const work: Promise<void>[] = []
    for (let page = Math.floor(Math.max(0, first) / PAGE_SIZE); page <= Math.floor(Math.max(0, last) / PAGE_SIZE); page++) {
      work.push(loadPage(page))
    }
    await Promise.all(work)
  }

  function loadPage(page: number): Promise<void> {
    if (pages.has(page) && !stale.has(page)) return Promise.resolve()
    const running = loading.get(page)
    if (running) return running
    const started = generation
    const promise = session
      .requireApi()
      .invoke('images:list', { offset: page * PAGE_SIZE, limit: PAGE_SIZE })
      .then((result) => {
        if (started !== generation) return
        total.value = result.total
        pages.set(page, result.items)
        stale.delete(page)
      })
      .finally(() => {
        if (loading.get(page) === promise) loading.delete(page)
      })
    loading.set(page, promise)
    return promise
  }

  /** Marks every loaded page stale and reloads the total and the open image; views then reload what they show. */
  async function refresh(): Promise<void> {
    generation += 1
    loading.clear()
    for (const page of pages.keys()) stale.add(page)
    revision.value += 1
    await loadPage(0)
    if (currentId.value !== null) {
      const id = currentId.value
      const detail = await session.requireApi().invoke('images:get', { id }).catch(() => null)
      if (currentId.value === id) current.value = detail
    }
  }

  /** Opens an image; finds its list index when the caller does not know it. */
  async function open(id: number, index?: number): Promise<void> {
    const seq = ++openSeq
    const api = session.requireApi()
    const [detail, position] = await Promise.all([
      api.invoke('images:get', { id }),
      index !== undefined ? Promise.resolve(index) : indexOf(id)
    ])
    if (seq !== openSeq) return
    currentId.value = id
    currentIndex.value = position
    current.value = detail
  }

  async function indexOf(id: number): Promise<number> {
    // `images:neighbour` reports the index of the image it lands on; with no previous image it stays on `id`.
    const previous = await session.requireApi().invoke('images:neighbour', { id, direction: 'previous' })
    return previous.id === null ? previous.index : previous.index + 1
  }

  /** Marks or unmarks one image (Ctrl+click). */
  function toggleMark(id: number): void {
    const next = new Set(marked.value)
    if (!next.delete(id)) next.add(id)
    marked.value = next
  }

  /** Marks every image between two list indices, both included (Shift+click), loading their pages first. */
  async function markRange(from: number, to: number): Promise<void> {
    const first = Math.max(0, Math.min(from, to))
    const last = Math.max(from, to)
    await ensureRange(first, last)
    const next = new Set(marked.value)
    for (let i = first; i <= last; i++) {
      const row = rowAt(i)
      if (row) next.add(row.id)
    }
    marked.value = next
  }

  /** Unmarks every image. */
  function clearMarks(): void {
    if (marked.value.size > 0) marked.value = new Set()
  }

  /** Forgets the open image (after a project switch). */
  function close(): void {
    openSeq += 1
    currentId.value = null
    currentIndex.value = null
    current.value = null
  }

  return {
    total,
    pages,
    revision,
    marked,
    currentId,
    currentIndex,
    current,
    rowAt,
    ensureRange,
    refresh,
    open,
    close,
    toggleMark,
    markRange,
    clearMarks
  }
})
