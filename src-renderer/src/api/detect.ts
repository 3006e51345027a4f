import { IpcRoseApi, type PreloadBridge } from './ipc-api'
import type { RoseApi } from './rose-api'
import { WebSocketRoseApi, type WebSocketApiOptions } from './websocket-api'

/** The parts of `window` that decide the transport. */
export interface HostWindow {
  readonly rose?: unknown
  readonly location: { readonly origin: string; readonly search: string }
}

function isPreloadBridge(value: unknown): value is PreloadBridge {
  const bridge = value as Partial<PreloadBridge> | undefined
  return typeof bridge?.invoke === 'function' && typeof bridge.on === 'function'
}

/**
 * Picks the transport: the preload bridge in Electron, else the serve-mode WebSocket with the URL's token.
 * A page without a token still connects, because the server may accept the cookie it set on an earlier
 * visit; a refusal surfaces as the `refused` connection state.
 */
export function detectRoseApi(host: HostWindow, socketOptions: Omit<WebSocketApiOptions, 'origin' | 'token'> = {}): RoseApi {
  if (isPreloadBridge(host.rose)) return new IpcRoseApi(host.rose)
  const token = new URLSearchParams(host.location.search).get('token')
  return new WebSocketRoseApi({ ...socketOptions, origin: host.location.origin, token: token || null })
}
