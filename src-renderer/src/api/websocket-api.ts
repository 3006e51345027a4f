import type {
  Channel,
  Envelope,
  EventName,
  EventOf,
  FileKind,
  RequestOf,
  ResponseOf,
  WireMessage
} from '../../../src-preload/contract'
import { Emitter } from '../common/emitter'
import { TransportError, unwrapEnvelope } from './errors'
import type { ConnectionState, RoseApi } from './rose-api'

/** The part of the DOM WebSocket this client uses (so tests can hand in a fake). */
export interface SocketLike {
  readonly readyState: number
  send(data: string): void
  close(code?: number, reason?: string): void
  onopen: ((event: unknown) => void) | null
  onclose: ((event: { code: number; reason: string }) => void) | null
  onmessage: ((event: { data: unknown }) => void) | null
  onerror: ((event: unknown) => void) | null
}

/** What the token probe found out after a connection failed before it ever opened. */
export type TokenVerdict = 'valid' | 'invalid' | 'unknown'

/** Knobs of the WebSocket client; everything but the addresses has a production default. */
export interface WebSocketApiOptions {
  /** Page origin, e.g. `http://127.0.0.1:8123`. */
  readonly origin: string
  /** The access token from the page URL; null when the page was opened without one (a cookie may carry it). */
  readonly token: string | null
  /** Opens a socket; defaults to the DOM WebSocket. */
  readonly createSocket?: (url: string) => SocketLike
  /** Asks the server whether the token is accepted, when the upgrade failed without a reason. */
  readonly probeToken?: (origin: string, token: string | null) => Promise<TokenVerdict>
  /** Wait before reconnect attempt `attempt` (1-based). */
  readonly backoffMs?: (attempt: number) => number
  /** How long a call made while disconnected waits for the link before it fails. */
  readonly queueTimeoutMs?: number
}

/** Close codes the server uses to refuse a token (4401/4403, or the generic policy violation 1008). */
const REFUSAL_CLOSE_CODES = new Set([1008, 4401, 4403])
const OPEN = 1

/** Doubling back-off from 250 ms, capped at 5 s: quick after a blip, gentle on a server that is down. */
export function defaultBackoffMs(attempt: number): number {
  return Math.min(5000, 250 * 2 ** Math.max(0, attempt - 1))
}

/** Asks the WebSocket endpoint over plain HTTP: 401/403 means the token is wrong. */
export async function probeTokenOverHttp(origin: string, token: string | null): Promise<TokenVerdict> {
  try {
    const response = await fetch(`${origin}/api/ws${tokenQuery(token)}`, { cache: 'no-store' })
    if (response.status === 401 || response.status === 403) return 'invalid'
    return 'valid'
  } catch {
    return 'unknown'
  }
}

/** `?token=…` for URLs, or nothing when the page has no token and relies on the server's cookie. */
function tokenQuery(token: string | null): string {
  return token ? `?token=${encodeURIComponent(token)}` : ''
}

interface Pending {
  readonly channel: string
  readonly resolve: (value: unknown) => void
  readonly reject: (error: Error) => void
}

interface Queued extends Pending {
  readonly id: number
  readonly request: unknown
  readonly timer: ReturnType<typeof setTimeout>
}

/** RoseApi over the serve-mode WebSocket, with reconnection and clear failures when the link drops. */
export class WebSocketRoseApi implements RoseApi {
  readonly transport = 'websocket' as const
  private state: ConnectionState = { kind: 'connecting' }
  private socket: SocketLike | null = null
  private nextId = 1
  private attempt = 0
  private openedThisAttempt = false
  private reconnectTimer: ReturnType<typeof setTimeout> | null = null
  private readonly inFlight = new Map<number, Pending>()
  private readonly queue: Queued[] = []
  private readonly events = new Emitter<Record<string, unknown>>()
  private readonly connectionEvents = new Emitter<{ change: ConnectionState }>()
  private readonly createSocket: (url: string) => SocketLike
  private readonly probeToken: (origin: string, token: string | null) => Promise<TokenVerdict>
  private readonly backoffMs: (attempt: number) => number
  private readonly queueTimeoutMs: number

  constructor(private readonly options: WebSocketApiOptions) {
    this.createSocket = options.createSocket ?? ((url) => new WebSocket(url) as unknown as SocketLike)
    this.probeToken = options.probeToken ?? probeTokenOverHttp
    this.backoffMs = options.backoffMs ?? defaultBackoffMs
    this.queueTimeoutMs = options.queueTimeoutMs ?? 15_000
    this.connect()
  }

  get connection(): ConnectionState {
    return this.state
  }

  invoke<C extends Channel>(channel: C, request: RequestOf<C>): Promise<ResponseOf<C>> {
    return new Promise<unknown>((resolve, reject) => {
      const refusal = this.refusalError(channel)
      if (refusal) return reject(refusal)
      const id = this.nextId++
      const pending: Pending = { channel, resolve, reject }
      if (this.socket && this.socket.readyState === OPEN && this.state.kind === 'open') {
        this.send(id, pending, request)
        return
      }
      const timer = setTimeout(() => {
        const index = this.queue.findIndex((q) => q.id === id)
        if (index < 0) return
        this.queue.splice(index, 1)
        reject(new TransportError('TIMEOUT', `Not connected to the server: ${channel} was not sent`))
      }, this.queueTimeoutMs)
      this.queue.push({ ...pending, id, request, timer })
    }) as Promise<ResponseOf<C>>
  }

  on<E extends EventName>(event: E, listener: (payload: EventOf<E>) => void): () => void {
    return this.events.on(event, listener as (payload: unknown) => void)
  }

  fileUrl(kind: FileKind, id: number): string {
    return `${this.options.origin}/api/files/${kind}/${id}${tokenQuery(this.options.token)}`
  }

  onConnectionChange(listener: (state: ConnectionState) => void): () => void {
    return this.connectionEvents.on('change', listener)
  }

  dispose(): void {
    if (this.state.kind === 'closed') return
    this.setState({ kind: 'closed' })
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer)
    const socket = this.socket
    this.socket = null
    if (socket) {
      socket.onclose = null
      socket.close(1000, 'disposed')
    }
    this.failAll(new TransportError('DISPOSED', 'The connection to the server was closed'))
    this.events.dispose()
    this.connectionEvents.dispose()
  }

  private connect(): void {
    this.reconnectTimer = null
    if (this.state.kind === 'closed' || this.state.kind === 'refused') return
    const wsOrigin = this.options.origin.replace(/^http/, 'ws')
    this.openedThisAttempt = false
    const socket = this.createSocket(`${wsOrigin}/api/ws${tokenQuery(this.options.token)}`)
    this.socket = socket
    socket.onopen = () => {
      if (this.socket !== socket) return
      this.attempt = 0
      this.openedThisAttempt = true
      this.setState({ kind: 'open' })
      for (const queued of this.queue.splice(0)) {
        clearTimeout(queued.timer)
        this.send(queued.id, queued, queued.request)
      }
    }
    socket.onmessage = (event) => {
      if (this.socket === socket) this.receive(event.data)
    }
    socket.onerror = () => {
      // The close event that always follows carries what we act on.
    }
    socket.onclose = (event) => {
      if (this.socket !== socket) return
      this.socket = null
      void this.handleClose(event.code)
    }
  }

  private async handleClose(code: number): Promise<void> {
    for (const [id, pending] of this.inFlight) {
      this.inFlight.delete(id)
      pending.reject(
        new TransportError(
          'DISCONNECTED',
          `The connection to the server was lost before ${pending.channel} answered; it may or may not have been applied`
        )
      )
    }
    if (this.state.kind === 'closed') return
    if (REFUSAL_CLOSE_CODES.has(code)) return this.refuse()
    if (!this.openedThisAttempt) {
      // A refused upgrade reaches the browser as a bare 1006 (also after a server restart with a new
      // token); ask over HTTP why, so a wrong token is not retried forever.
      const verdict = await this.probeToken(this.options.origin, this.options.token)
      if (verdict === 'invalid') return this.refuse()
      // Disposed while the probe was out: `state` may have changed behind this await.
      if ((this.state as ConnectionState).kind === 'closed') return
    }
    this.scheduleReconnect()
  }

  private scheduleReconnect(): void {
    this.attempt += 1
    const retryInMs = this.backoffMs(this.attempt)
    this.setState({ kind: 'reconnecting', attempt: this.attempt, retryInMs })
    this.reconnectTimer = setTimeout(() => {
      this.setState({ kind: 'connecting' })
      this.connect()
    }, retryInMs)
  }

  private refuse(): void {
    this.setState({ kind: 'refused', reason: this.options.token ? 'wrong-token' : 'missing-token' })
    this.failAll(new TransportError('REFUSED', 'The server refused the access token'))
  }

  private refusalError(channel: string): TransportError | null {
    if (this.state.kind === 'refused') return new TransportError('REFUSED', `${channel}: the server refused the access token`)
    if (this.state.kind === 'closed') return new TransportError('DISPOSED', `Cannot call ${channel}: the connection was closed`)
    return null
  }

  private send(id: number, pending: Pending, request: unknown): void {
    const message: WireMessage = { type: 'call', id, channel: pending.channel, request }
    this.inFlight.set(id, pending)
    try {
      this.socket!.send(JSON.stringify(message))
    } catch (error) {
      this.inFlight.delete(id)
      pending.reject(new TransportError('DISCONNECTED', `Could not send ${pending.channel}: ${String(error)}`))
    }
  }

  private receive(data: unknown): void {
    let message: WireMessage
    try {
      message = JSON.parse(String(data)) as WireMessage
    } catch {
      console.error('[websocket] dropped a message that is not JSON')
      return
    }
    if (message.type === 'result') {
      const pending = this.inFlight.get(message.id)
      if (!pending) return
      this.inFlight.delete(message.id)
      try {
        pending.resolve(unwrapEnvelope(message.envelope as Envelope<unknown>, pending.channel))
      } catch (error) {
        pending.reject(error as Error)
      }
    } else if (message.type === 'event') {
      this.events.fire(message.event, message.payload)
    }
  }

  private failAll(error: TransportError): void {
    for (const pending of this.inFlight.values()) pending.reject(error)
    this.inFlight.clear()
    for (const queued of this.queue.splice(0)) {
      clearTimeout(queued.timer)
      queued.reject(error)
    }
  }

  private setState(state: ConnectionState): void {
    this.state = state
    this.connectionEvents.fire('change', state)
  }
}
