import { defineStore } from 'pinia'
import { computed, shallowRef } from 'vue'
import type { CategoryValue, InstanceValue } from '../../../src-preload/contract'
import { useSessionStore } from './session'

/** Colour for an instance whose category is not known yet (list still loading). */
export const FALLBACK_COLOR = '#9aa0a6'

/** The project's categories: names for suggestions and the colour each instance is drawn in. */
export const useCategoriesStore = defineStore('categories', () => {
  const session = useSessionStore()
  const items = shallowRef<readonly CategoryValue[]>([])
  const byId = computed(() => new Map(items.value.map((c) => [c.id, c])))
  const byName = computed(() => new Map(items.value.map((c) => [c.name.toLowerCase(), c])))

  /** Reloads the list from main. */
  async function load(): Promise<void> {
    items.value = await session.requireApi().invoke('categories:list', {})
  }

  /** The colour an instance is drawn in: its category's, by id then by name. */
  function colorOf(instance: Pick<InstanceValue, 'categoryId' | 'categoryText'>): string {
    const category =
      (instance.categoryId !== null ? byId.value.get(instance.categoryId) : undefined) ??
      byName.value.get(instance.categoryText.toLowerCase())
    return category?.color ?? FALLBACK_COLOR
  }

  /** Category names ranked for a prompt: prefix matches first, then substring matches, each alphabetical. */
  function suggest(query: string, limit = 8): string[] {
    const q = query.trim().toLowerCase()
    const names = items.value.map((c) => c.name)
    if (!q) return names.slice(0, limit)
    const prefix = names.filter((n) => n.toLowerCase().startsWith(q))
    const inside = names.filter((n) => !n.toLowerCase().startsWith(q) && n.toLowerCase().includes(q))
    return [...prefix, ...inside].slice(0, limit)
  }

  return { items, load, colorOf, suggest }
})
