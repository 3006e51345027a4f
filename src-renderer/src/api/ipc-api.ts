import { FILE_SCHEME } from '../../../src-preload/channels'
import type { RoseBridge } from '../../../src-preload/bridge'
import type { Channel, Envelope, EventName, EventOf, FileKind, RequestOf, ResponseOf } from '../../../src-preload/contract'
import { TransportError, unwrapEnvelope } from './errors'
import type { ConnectionState, RoseApi } from './rose-api'

/** What the sandboxed preload puts on `window.rose` (src-preload/bridge.ts). */
export type PreloadBridge = RoseBridge

/** RoseApi over Electron IPC, through the preload bridge. */
export class IpcRoseApi implements RoseApi {
  readonly transport = 'ipc' as const
  readonly connection: ConnectionState = { kind: 'open' }
  private disposed = false
  private readonly unsubscribers = new Set<() => void>()

  constructor(private readonly bridge: PreloadBridge) {}

  async invoke<C extends Channel>(channel: C, request: RequestOf<C>): Promise<ResponseOf<C>> {
    if (this.disposed) throw new TransportError('DISPOSED', `Cannot call ${channel}: the API was closed`)
    const envelope = (await this.bridge.invoke(channel, request)) as Envelope<ResponseOf<C>>
    return unwrapEnvelope(envelope, channel)
  }

  on<E extends EventName>(event: E, listener: (payload: EventOf<E>) => void): () => void {
    const off = this.bridge.on(event, listener as (payload: unknown) => void)
    const unsubscribe = (): void => {
      if (this.unsubscribers.delete(unsubscribe)) off()
    }
    this.unsubscribers.add(unsubscribe)
    return unsubscribe
  }

  fileUrl(kind: FileKind, id: number): string {
    return `${FILE_SCHEME}://${kind}/${id}`
  }

  onConnectionChange(): () => void {
    return () => {}
  }

  dispose(): void {
    this.disposed = true
    for (const unsubscribe of [...this.unsubscribers]) unsubscribe()
  }
}
