import type { SerializedError } from '../../src-preload/contract'

/** An expected failure the user can act on (bad input, missing file); carries a stable code. */
export class ExpectedError extends Error {
  override readonly name: string = 'ExpectedError'
  constructor(
    readonly code: string,
    message: string,
    options?: { cause?: unknown }
  ) {
    super(message, options)
  }
}

/** A request whose arguments failed validation at the process boundary. */
export class InvalidArgumentError extends ExpectedError {
  override readonly name = 'InvalidArgumentError'
  constructor(message: string) {
    super('INVALID_ARGUMENT', message)
  }
}

/** Something the caller asked for does not exist. */
export class NotFoundError extends ExpectedError {
  override readonly name = 'NotFoundError'
  constructor(message: string) {
    super('NOT_FOUND', message)
  }
}

/** Work stopped because its caller cancelled it; never reported as a failure. */
export class CancellationError extends Error {
  override readonly name = 'CancellationError'
  readonly code = 'CANCELLED'
  constructor(message = 'Cancelled') {
    super(message)
  }
}

/** True when an error means "cancelled", whether ours or an AbortSignal's. */
export function isCancellation(error: unknown): boolean {
  return (
    error instanceof CancellationError ||
    (error instanceof Error && error.name === 'AbortError') ||
    (typeof error === 'object' && error !== null && (error as { code?: unknown }).code === 'CANCELLED')
  )
}

/** Throws a CancellationError when the signal has been aborted. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new CancellationError()
}

/** The plain-data form of an error, to send across a process or network boundary. */
export function serializeError(error: unknown): SerializedError {
  if (isCancellation(error)) {
    return { name: 'CancellationError', code: 'CANCELLED', message: (error as Error).message || 'Cancelled' }
  }
  if (error instanceof ExpectedError) {
    const out: SerializedError = { name: error.name, code: error.code, message: error.message }
    if (error.cause !== undefined) out.cause = describeCause(error.cause)
    return out
  }
  // Anything else is a bug: keep the message for the log, mark it so the UI does not present it as user error.
  const message = error instanceof Error ? error.message : String(error)
  return { name: error instanceof Error ? error.name : 'Error', code: 'INTERNAL', message }
}

function describeCause(cause: unknown): string {
  return cause instanceof Error ? cause.message : String(cause)
}

/** A short, human-readable reason taken from any thrown value. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}
