// The sandboxed preload with `electron` mocked: window.rose forwards only the contract's channels and
// events, and nothing else reaches ipcRenderer.
import { describe, expect, it, vi } from 'vitest'
import { EVENT_CHANNEL } from '../../../src-preload/channels'
import type { RoseBridge } from '../../../src-preload/bridge'

const exposed = new Map<string, unknown>()
const listeners = new Map<string, ((event: unknown, message: unknown) => void)[]>()
const invoke = vi.fn(async (channel: string, request: unknown) => ({ channel, request }))
vi.mock('electron', () => ({
  contextBridge: { exposeInMainWorld: (key: string, api: unknown) => exposed.set(key, api) },
  ipcRenderer: {
    invoke,
    on: (channel: string, handler: (event: unknown, message: unknown) => void) => listeners.set(channel, [...(listeners.get(channel) ?? []), handler]),
    removeListener: (channel: string, handler: (event: unknown, message: unknown) => void) =>
      listeners.set(channel, (listeners.get(channel) ?? []).filter((h) => h !== handler))
  }
}))

await import('../../../src-preload/index')
const rose = exposed.get('rose') as RoseBridge

describe('preload bridge', () => {
  it('exposes window.rose and nothing else', () => {
    expect([...exposed.keys()]).toEqual(['rose'])
    expect(Object.keys(rose).sort()).toEqual(['invoke', 'on'])
  })

  it('forwards a contract channel to ipcRenderer.invoke and refuses any other name', async () => {
    await expect(rose.invoke('images:list', { offset: 0, limit: 5 })).resolves.toEqual({ channel: 'images:list', request: { offset: 0, limit: 5 } })
    await expect(rose.invoke('fs:readFile' as never, { path: '/etc/passwd' } as never)).rejects.toThrow(new TypeError('channel: unknown channel "fs:readFile"'))
    expect(invoke).toHaveBeenCalledTimes(1)
  })

  it('delivers only the subscribed event, and unsubscribing removes the ipc listener', () => {
    const seen: unknown[] = []
    const off = rose.on('images:changed', (payload) => seen.push(payload))
    const handlers = listeners.get(EVENT_CHANNEL)!
    expect(handlers).toHaveLength(1)
    handlers[0]!({}, { event: 'instances:changed', payload: { imageId: 1 } })
    handlers[0]!({}, { event: 'images:changed', payload: { ids: [3] } })
    expect(seen).toEqual([{ ids: [3] }])
    off()
    expect(listeners.get(EVENT_CHANNEL)).toEqual([])
    expect(() => rose.on('process:exec' as never, () => {})).toThrow(new TypeError('event: unknown event "process:exec"'))
  })
})
