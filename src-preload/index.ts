/**
 * The sandboxed preload: exposes `window.rose`, a small typed bridge over the contract's channels and
 * events, and nothing else (no raw ipcRenderer, no Node).
 */
import { contextBridge, ipcRenderer } from 'electron'
import { CHANNEL_NAMES, EVENT_CHANNEL, EVENT_NAMES } from './channels'
import type { RoseBridge } from './bridge'

const channels = new Set<string>(CHANNEL_NAMES)
const events = new Set<string>(EVENT_NAMES)

const bridge: RoseBridge = {
  invoke(channel, request) {
    if (!channels.has(channel)) return Promise.reject(new TypeError(`channel: unknown channel ${JSON.stringify(channel)}`))
    return ipcRenderer.invoke(channel, request)
  },
  on(event, listener) {
    if (!events.has(event)) throw new TypeError(`event: unknown event ${JSON.stringify(event)}`)
    const handler = (_: unknown, message: { event: string; payload: unknown }) => {
      if (message.event === event) listener(message.payload)
    }
    ipcRenderer.on(EVENT_CHANNEL, handler)
    return () => {
      ipcRenderer.removeListener(EVENT_CHANNEL, handler)
    }
  }
}

contextBridge.exposeInMainWorld('rose', bridge)
