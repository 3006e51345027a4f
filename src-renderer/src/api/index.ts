/** The renderer's API client: one interface, two transports, typed errors. */
export type { ConnectionState, RefusalReason, RoseApi, TransportKind } from './rose-api'
export { detectRoseApi, type HostWindow } from './detect'
export {
  CancellationError,
  ExpectedError,
  InternalError,
  TransportError,
  describeError,
  isCancellation
} from './errors'
