/** Something that holds a resource and can release it. */
export interface Disposable {
  dispose(): void
}

/** Wraps a function as a Disposable that runs it at most once. */
export function toDisposable(fn: () => void): Disposable {
  let done = false
  return {
    dispose() {
      if (done) return
      done = true
      fn()
    }
  }
}

/** A set of disposables released together, last added first. */
export class DisposableStore implements Disposable {
  private readonly items: Disposable[] = []
  private disposed = false

  /** Adds a disposable; disposes it at once when the store is already disposed. */
  add<T extends Disposable>(item: T): T {
    if (this.disposed) item.dispose()
    else this.items.push(item)
    return item
  }

  dispose(): void {
    if (this.disposed) return
    this.disposed = true
    const errors: unknown[] = []
    for (const item of this.items.splice(0).reverse()) {
      try {
        item.dispose()
      } catch (error) {
        errors.push(error)
      }
    }
    if (errors.length > 0) throw new AggregateError(errors, 'Errors while disposing')
  }
}
