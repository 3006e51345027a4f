/** A typed event source: `on` hands out subscriptions, `fire` stays with the owner. */
export class Emitter<Events extends Record<string, unknown>> {
  private readonly listeners = new Map<keyof Events, Set<(payload: never) => void>>()

  /** Subscribes to one event; returns the unsubscribe function. */
  on<K extends keyof Events>(event: K, listener: (payload: Events[K]) => void): () => void {
    let set = this.listeners.get(event)
    if (!set) this.listeners.set(event, (set = new Set()))
    set.add(listener)
    return () => {
      set.delete(listener)
    }
  }

  /** Delivers a payload; one failing listener does not starve the others. */
  fire<K extends keyof Events>(event: K, payload: Events[K]): void {
    const set = this.listeners.get(event)
    if (!set) return
    for (const listener of [...set]) {
      try {
        ;(listener as (payload: Events[K]) => void)(payload)
      } catch (error) {
        console.error(`[emitter] listener for ${String(event)} failed`, error)
      }
    }
  }

  /** Drops every listener. */
  dispose(): void {
    this.listeners.clear()
  }
}
