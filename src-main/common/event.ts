import { toDisposable, type Disposable } from './lifecycle'

/** A subscription function: call it with a listener, dispose the result to unsubscribe. */
export type Event<T> = (listener: (value: T) => void) => Disposable

/** A typed event source; `event` is handed out, `fire` stays with the owner. */
export class Emitter<T> implements Disposable {
  private listeners = new Set<(value: T) => void>()

  /** Subscribes a listener. */
  readonly event: Event<T> = (listener) => {
    this.listeners.add(listener)
    return toDisposable(() => this.listeners.delete(listener))
  }

  /** Delivers a value to every listener; one failing listener does not starve the others. */
  fire(value: T): void {
    for (const listener of [...this.listeners]) {
      try {
        listener(value)
      } catch (error) {
        console.error('[event] listener failed', error)
      }
    }
  }

  dispose(): void {
    this.listeners.clear()
  }
}
