import type { Channel, EventName, EventOf, FileKind, RequestOf, ResponseOf } from '../../src-preload/contract'
import type { ConnectionState, RoseApi } from '../../src-renderer/src/api'

type Handler<C extends Channel> = (request: RequestOf<C>) => ResponseOf<C> | Promise<ResponseOf<C>>

/** An in-memory RoseApi for store tests: channels answer from handlers, every call is recorded. */
export class FakeApi implements RoseApi {
  readonly transport = 'websocket' as const
  connection: ConnectionState = { kind: 'open' }
  readonly calls: { channel: Channel; request: unknown }[] = []
  private readonly handlers = new Map<Channel, Handler<never>>()
  private readonly listeners = new Map<string, Set<(payload: unknown) => void>>()

  /** Answers a channel with this handler. */
  handle<C extends Channel>(channel: C, handler: Handler<C>): this {
    this.handlers.set(channel, handler as unknown as Handler<never>)
    return this
  }

  async invoke<C extends Channel>(channel: C, request: RequestOf<C>): Promise<ResponseOf<C>> {
    this.calls.push({ channel, request })
    const handler = this.handlers.get(channel) as unknown as Handler<C> | undefined
    if (!handler) throw new Error(`FakeApi: no handler for ${channel}`)
    return handler(request)
  }

  /** The requests made on one channel, in order. */
  requests<C extends Channel>(channel: C): RequestOf<C>[] {
    return this.calls.filter((c) => c.channel === channel).map((c) => c.request as RequestOf<C>)
  }

  on<E extends EventName>(event: E, listener: (payload: EventOf<E>) => void): () => void {
    let set = this.listeners.get(event)
    if (!set) this.listeners.set(event, (set = new Set()))
    set.add(listener as (payload: unknown) => void)
    return () => set.delete(listener as (payload: unknown) => void)
  }

  /** Delivers an event as main would. */
  emit<E extends EventName>(event: E, payload: EventOf<E>): void {
    for (const listener of this.listeners.get(event) ?? []) listener(payload)
  }

  fileUrl(kind: FileKind, id: number): string {
    return `/files/${kind}/${id}`
  }

  onConnectionChange(): () => void {
    return () => {}
  }

  dispose(): void {}
}
