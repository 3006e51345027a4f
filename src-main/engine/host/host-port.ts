/**
 * The engine host's side of the process boundary. A forked Node process talks to main through
 * `process.send`/`process.on('message')`; an Electron utility process through `process.parentPort`.
 * Both are wrapped here so that engine-host.ts does not know which one started it, and no file on
 * this side imports `electron` (a utility process gets `parentPort` from Electron's runtime).
 */
import type { Disposable } from '../../common/lifecycle'
import { toDisposable } from '../../common/lifecycle'
import { isToHost, type FromHost, type ToHost } from './protocol'

/** What the host needs from its transport. */
export interface HostPort {
  postMessage(message: FromHost): void
  onMessage(listener: (message: ToHost) => void): Disposable
  /** Calls the listener when main goes away (the channel closes). */
  onDisconnect(listener: () => void): Disposable
  /** Ends the process. */
  exit(code: number): void
}

/** The part of Electron's `process.parentPort` the host uses. */
export interface ElectronParentPort {
  postMessage(message: unknown): void
  on(event: 'message', listener: (event: { data: unknown }) => void): void
  off(event: 'message', listener: (event: { data: unknown }) => void): void
}

/** Electron's parent port in a utility process; undefined in a plain Node process. */
export function electronParentPort(): ElectronParentPort | undefined {
  return (process as unknown as { parentPort?: ElectronParentPort }).parentPort
}

/** The port of a process started with `child_process.fork`. */
export function forkedHostPort(): HostPort {
  if (typeof process.send !== 'function') throw new Error('The engine host must be started with child_process.fork (no IPC channel)')
  return {
    postMessage: (message) => {
      // A closed channel means main is gone; the disconnect handler ends the process.
      if (process.connected) process.send!(message)
    },
    onMessage: (listener) => {
      const handler = (message: unknown): void => {
        if (isToHost(message)) listener(message)
        else console.error('[engine-host] ignored a malformed message')
      }
      process.on('message', handler)
      return toDisposable(() => process.off('message', handler))
    },
    onDisconnect: (listener) => {
      process.on('disconnect', listener)
      return toDisposable(() => process.off('disconnect', listener))
    },
    exit: (code) => process.exit(code)
  }
}

/** The port of an Electron utility process. */
export function utilityHostPort(parentPort: ElectronParentPort): HostPort {
  return {
    postMessage: (message) => parentPort.postMessage(message),
    onMessage: (listener) => {
      const handler = (event: { data: unknown }): void => {
        if (isToHost(event.data)) listener(event.data)
        else console.error('[engine-host] ignored a malformed message')
      }
      parentPort.on('message', handler)
      return toDisposable(() => parentPort.off('message', handler))
    },
    // Electron ends utility processes with the app; there is no channel-closed event to follow.
    onDisconnect: () => toDisposable(() => {}),
    exit: (code) => process.exit(code)
  }
}
