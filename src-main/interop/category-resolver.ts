import type { CategoryValue } from '../../src-preload/contract'

/**
 * Maps an instance's category to the category it is exported under, with synonyms merged: a category
 * whose name another category lists as a synonym goes out as that other category, and so does a
 * category text that is only a synonym. Ids are the project's category ids (1-based, never reused), so
 * the same category has the same id in every export of the project.
 */
export class CategoryResolver {
  private readonly byId = new Map<number, CategoryValue>()
  private readonly byName = new Map<string, CategoryValue>()
  private readonly bySynonym = new Map<string, CategoryValue>()

  constructor(categories: readonly CategoryValue[]) {
    // Lowest id first, so when two categories claim one synonym the older one wins, every time.
    const sorted = [...categories].sort((a, b) => a.id - b.id)
    for (const category of sorted) {
      this.byId.set(category.id, category)
      this.byName.set(category.name.toLowerCase(), category)
    }
    for (const category of sorted) {
      for (const synonym of category.synonyms) {
        const key = synonym.toLowerCase()
        if (key !== category.name.toLowerCase() && !this.bySynonym.has(key)) this.bySynonym.set(key, category)
      }
    }
  }

  /** The exported category of an instance, or undefined when neither its id nor its text names one. */
  resolve(categoryId: number | null, categoryText: string): CategoryValue | undefined {
    const text = categoryText.toLowerCase()
    let category = (categoryId !== null ? this.byId.get(categoryId) : undefined) ?? this.byName.get(text) ?? this.bySynonym.get(text)
    // Follow synonym links a few steps; a cycle (A lists B, B lists A) stops at whichever comes first.
    for (let hop = 0; category !== undefined && hop < 8; hop++) {
      const owner = this.bySynonym.get(category.name.toLowerCase())
      if (owner === undefined || owner.id === category.id) break
      category = owner
    }
    return category
  }
}
