import { throwIfAborted } from './errors'

/**
 * Resolves or rejects with `promise`, or rejects with a CancellationError as soon as `signal` aborts:
 * the caller stops waiting without stopping the shared work it waits for (an embedding another prompt
 * also needs, say).
 */
export function raceAbort<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => {
      try {
        throwIfAborted(signal)
      } catch (error) {
        reject(error)
      }
    }
    if (signal.aborted) return onAbort()
    signal.addEventListener('abort', onAbort, { once: true })
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort)
        resolve(value)
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort)
        reject(error)
      }
    )
  })
}
