/**
 * A small least-recently-used map. The engine keeps image embeddings in one (4 MB each for SAM),
 * as promises, so that a prompt arriving while its image is still being encoded waits for that
 * encoding instead of starting a second one.
 */

/** A map that forgets its least recently used entry beyond `capacity`. */
export class LruCache<K, V> {
  private readonly entries = new Map<K, V>()

  constructor(
    readonly capacity: number,
    private readonly onEvict: (key: K, value: V) => void = () => {}
  ) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`capacity: expected a positive integer, got ${capacity}`)
  }

  /** The value, marked as most recently used; undefined when absent. */
  get(key: K): V | undefined {
    const value = this.entries.get(key)
    if (value === undefined) return undefined
    // Map keeps insertion order: re-inserting moves the key to the most recent end.
    this.entries.delete(key)
    this.entries.set(key, value)
    return value
  }

  /** True when the key is present; does not change the order. */
  has(key: K): boolean {
    return this.entries.has(key)
  }

  /** Stores a value as most recently used, evicting the oldest entries beyond capacity. */
  set(key: K, value: V): void {
    this.entries.delete(key)
    this.entries.set(key, value)
    while (this.entries.size > this.capacity) {
      const oldest = this.entries.keys().next().value as K
      const evicted = this.entries.get(oldest) as V
      this.entries.delete(oldest)
      this.onEvict(oldest, evicted)
    }
  }

  /** Removes one entry; true when it was there. */
  delete(key: K): boolean {
    return this.entries.delete(key)
  }

  /** Removes every entry. */
  clear(): void {
    this.entries.clear()
  }

  /** Keys from least to most recently used. */
  keys(): K[] {
    return [...this.entries.keys()]
  }

  get size(): number {
    return this.entries.size
  }
}
