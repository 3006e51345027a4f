import type { Envelope, SerializedError } from '../../../src-preload/contract'

/** An expected failure main reported (bad argument, missing image, unsupported here); `code` is stable. */
export class ExpectedError extends Error {
  override readonly name = 'ExpectedError'
  constructor(
    readonly code: string,
    message: string,
    readonly remoteName: string,
    readonly detail?: string
  ) {
    super(message)
  }
}

/** The work was cancelled by its caller; never shown as a failure. */
export class CancellationError extends Error {
  override readonly name = 'CancellationError'
  readonly code = 'CANCELLED'
}

/** A bug on the other side: kept apart so the UI does not present it as the user's mistake. */
export class InternalError extends Error {
  override readonly name = 'InternalError'
  readonly code = 'INTERNAL'
  constructor(
    message: string,
    readonly remoteName: string
  ) {
    super(message)
  }
}

/** Why the transport could not deliver a call. */
export type TransportErrorCode = 'DISCONNECTED' | 'REFUSED' | 'TIMEOUT' | 'DISPOSED'

/** The call never got an answer because the connection to main failed; it may or may not have run. */
export class TransportError extends Error {
  override readonly name = 'TransportError'
  constructor(
    readonly code: TransportErrorCode,
    message: string
  ) {
    super(message)
  }
}

/** Rebuilds the typed error that a serialized error stands for. */
export function errorFromSerialized(error: SerializedError, channel: string): Error {
  switch (error.code) {
    case 'CANCELLED':
      return new CancellationError(error.message || 'Cancelled')
    case 'INTERNAL':
      return new InternalError(`${channel}: ${error.message}`, error.name)
    default:
      return new ExpectedError(error.code, error.message, error.name, error.cause)
  }
}

/** The value of an envelope, or its error thrown as the matching class. */
export function unwrapEnvelope<T>(envelope: Envelope<T>, channel: string): T {
  if (envelope.ok) return envelope.value
  throw errorFromSerialized(envelope.error, channel)
}

/** True for errors that mean "cancelled": callers swallow these. */
export function isCancellation(error: unknown): error is CancellationError {
  return error instanceof CancellationError
}

/** One line to show a user for any thrown value; internal errors say so. */
export function describeError(error: unknown): string {
  if (error instanceof InternalError) return `Internal error (please report): ${error.message}`
  if (error instanceof Error) return error.message
  return String(error)
}
