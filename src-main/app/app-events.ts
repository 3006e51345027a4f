import type { EventName, EventOf } from '../../src-preload/contract'
import { Emitter, type Event } from '../common/event'
import type { Disposable } from '../common/lifecycle'

/** One event of the contract with its payload, as the transports forward it. */
export type AppEvent = { [E in EventName]: { readonly event: E; readonly payload: EventOf<E> } }[EventName]

/** The bus main-process services publish contract events on; each transport forwards it to its clients. */
export class AppEvents implements Disposable {
  private readonly emitter = new Emitter<AppEvent>()

  /** Fires for every event published. */
  readonly onDidFire: Event<AppEvent> = this.emitter.event

  /** Publishes one contract event. */
  fire<E extends EventName>(event: E, payload: EventOf<E>): void {
    this.emitter.fire({ event, payload } as AppEvent)
  }

  dispose(): void {
    this.emitter.dispose()
  }
}
