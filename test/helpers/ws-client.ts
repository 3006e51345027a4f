import WebSocket from 'ws'
import type { Channel, Envelope, RequestOf, ResponseOf, WireMessage } from '../../src-preload/contract'

/** A minimal Node client of the serve-mode WebSocket, for tests: raw envelopes and events. */
export class TestWsClient {
  private nextId = 1
  private readonly pending = new Map<number, (envelope: Envelope<unknown>) => void>()
  /** Every event received, in order. */
  readonly events: { event: string; payload: unknown }[] = []

  private constructor(private readonly ws: WebSocket) {
    ws.on('message', (data) => {
      const message = JSON.parse(data.toString()) as WireMessage
      if (message.type === 'result') {
        this.pending.get(message.id)?.(message.envelope)
        this.pending.delete(message.id)
      } else if (message.type === 'event') {
        this.events.push({ event: message.event, payload: message.payload })
      }
    })
  }

  /** Connects to `/api/ws` of a server at `baseUrl` with `token` (none when undefined). */
  static connect(baseUrl: string, token: string | undefined): Promise<TestWsClient> {
    const url = new URL('/api/ws', baseUrl.replace(/^http/, 'ws'))
    if (token !== undefined) url.searchParams.set('token', token)
    const ws = new WebSocket(url)
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(new TestWsClient(ws)))
      ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)))
      ws.once('error', reject)
    })
  }

  /** Sends anything as a call and resolves to the raw envelope. */
  callRaw(channel: string, request: unknown): Promise<Envelope<unknown>> {
    const id = this.nextId++
    return new Promise((resolve) => {
      this.pending.set(id, resolve)
      this.ws.send(JSON.stringify({ type: 'call', id, channel, request }))
    })
  }

  /** Sends a raw text frame and resolves to the next result envelope with id -1. */
  sendText(text: string): Promise<Envelope<unknown>> {
    return new Promise((resolve) => {
      this.pending.set(-1, resolve)
      this.ws.send(text)
    })
  }

  /** A typed call that throws the error message when the envelope is an error. */
  async call<C extends Channel>(channel: C, request: RequestOf<C>): Promise<ResponseOf<C>> {
    const envelope = await this.callRaw(channel, request)
    if (!envelope.ok) throw new Error(`${envelope.error.code}: ${envelope.error.message}`)
    return envelope.value as ResponseOf<C>
  }

  /** Resolves when an event with this name arrives whose payload passes `match`. */
  async waitForEvent(event: string, match: (payload: any) => boolean = () => true, timeoutMs = 30_000): Promise<any> {
    const deadline = Date.now() + timeoutMs
    for (let seen = 0; Date.now() < deadline; ) {
      for (; seen < this.events.length; seen++) {
        const e = this.events[seen]!
        if (e.event === event && match(e.payload)) return e.payload
      }
      await new Promise((r) => setTimeout(r, 20))
    }
    throw new Error(`no ${event} event within ${timeoutMs} ms`)
  }

  /** Closes the connection. */
  close(): void {
    this.ws.close()
  }
}
