// @vitest-environment happy-dom
import { describe, expect, test, vi } from 'vitest'
import type { Envelope } from '../../../src-preload/contract'
import { ExpectedError, detectRoseApi } from '../../../src-renderer/src/api'
import { IpcRoseApi, type PreloadBridge } from '../../../src-renderer/src/api/ipc-api'
import { WebSocketRoseApi } from '../../../src-renderer/src/api/websocket-api'

function bridge(answer: Envelope<unknown>): PreloadBridge & { off: ReturnType<typeof vi.fn> } {
  const off = vi.fn()
  return {
    off,
    invoke: vi.fn(async () => answer),
    on: vi.fn(() => off)
  }
}

describe('IpcRoseApi', () => {
  test('unwraps the envelope the preload returns', async () => {
    const b = bridge({ ok: true, value: { canUndo: true, canRedo: false, undoLabel: 'Draw polygon', redoLabel: null } })
    const api = new IpcRoseApi(b)
    await expect(api.invoke('history:state', {})).resolves.toMatchObject({ canUndo: true, undoLabel: 'Draw polygon' })
    expect(b.invoke).toHaveBeenCalledWith('history:state', {})
  })

  test('EXPECTED FAILURE – UNSUPPORTED from main becomes an ExpectedError with that code', async () => {
    const api = new IpcRoseApi(bridge({ ok: false, error: { name: 'ExpectedError', code: 'UNSUPPORTED', message: 'no picker' } }))
    await expect(api.invoke('dialog:pickPaths', { kind: 'folder' })).rejects.toEqual(expect.objectContaining({ code: 'UNSUPPORTED' }))
    await expect(api.invoke('dialog:pickPaths', { kind: 'folder' })).rejects.toBeInstanceOf(ExpectedError)
  })

  test('uses the rose-file scheme for images and releases subscriptions on dispose', () => {
    const b = bridge({ ok: true, value: null })
    const api = new IpcRoseApi(b)
    expect(api.fileUrl('image', 7)).toBe('rose-file://image/7')
    api.on('job:progress', () => {})
    api.dispose()
    expect(b.off).toHaveBeenCalledTimes(1)
  })
})

describe('detectRoseApi', () => {
  test('picks IPC when the preload bridge is present', () => {
    const api = detectRoseApi({ rose: bridge({ ok: true, value: null }), location: { origin: 'file://', search: '' } })
    expect(api.transport).toBe('ipc')
  })

  test('picks the WebSocket with the token from the page URL otherwise', () => {
    const api = detectRoseApi(
      { location: { origin: 'http://127.0.0.1:9000', search: '?token=t0k' } },
      { createSocket: () => ({ readyState: 0, send() {}, close() {}, onopen: null, onclose: null, onmessage: null, onerror: null }) }
    )
    expect(api).toBeInstanceOf(WebSocketRoseApi)
    expect(api.fileUrl('image', 1)).toBe('http://127.0.0.1:9000/api/files/image/1?token=t0k')
    api.dispose()
  })
})
