import type { Channel, Envelope, EventName } from './contract'

/** What the preload exposes as `window.rose`: contract calls answered as envelopes, and event subscriptions. */
export interface RoseBridge {
  invoke(channel: Channel, request: unknown): Promise<Envelope<unknown>>
  on(event: EventName, listener: (payload: unknown) => void): () => void
}
