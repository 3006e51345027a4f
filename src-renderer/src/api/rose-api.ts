import type { Channel, EventName, EventOf, FileKind, RequestOf, ResponseOf } from '../../../src-preload/contract'

/** Which transport carries the contract: Electron IPC or the serve-mode WebSocket. */
export type TransportKind = 'ipc' | 'websocket'

/** Why the server refused this page: it cannot be fixed by retrying. */
export type RefusalReason = 'missing-token' | 'wrong-token'

/** The state of the link to main. IPC is always `open`; the WebSocket moves through all of them. */
export type ConnectionState =
  | { readonly kind: 'connecting' }
  | { readonly kind: 'open' }
  | { readonly kind: 'reconnecting'; readonly attempt: number; readonly retryInMs: number }
  | { readonly kind: 'refused'; readonly reason: RefusalReason }
  | { readonly kind: 'closed' }

/** The renderer's one way to talk to main, whichever transport carries it. */
export interface RoseApi {
  /** How calls travel. */
  readonly transport: TransportKind
  /** Calls a channel; resolves with its response or throws ExpectedError, CancellationError, InternalError or TransportError. */
  invoke<C extends Channel>(channel: C, request: RequestOf<C>): Promise<ResponseOf<C>>
  /** Listens to an event from main; returns the unsubscribe function. */
  on<E extends EventName>(event: E, listener: (payload: EventOf<E>) => void): () => void
  /** URL of an image file or its thumbnail, usable as an `<img src>`. */
  fileUrl(kind: FileKind, id: number): string
  /** The current state of the link. */
  readonly connection: ConnectionState
  /** Listens to changes of the link state; returns the unsubscribe function. */
  onConnectionChange(listener: (state: ConnectionState) => void): () => void
  /** Closes the link and fails whatever is still waiting. */
  dispose(): void
}
