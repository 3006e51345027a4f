import { beforeEach, describe, expect, it, vi } from 'vitest'
import { CHANNEL_NAMES } from '../../../src-preload/channels'
import { EVENT_CHANNEL } from '../../../src-preload/contract'
import { AppEvents } from '../../../src-main/app/app-events'

// The Electron binary cannot run here: this thin fake records what the shell asks of Electron.
const electron = vi.hoisted(() => {
  const windows: any[] = []
  class FakeWebContents {
    handlers = new Map<string, (...args: any[]) => void>()
    openHandler: ((details: { url: string }) => { action: string }) | undefined
    sent: unknown[][] = []
    mainFrame = { url: 'file:///app/out/renderer/index.html' }
    session = { webRequest: { onHeadersReceived: vi.fn() } }
    on(name: string, fn: (...args: any[]) => void) { this.handlers.set(name, fn) }
    setWindowOpenHandler(fn: any) { this.openHandler = fn }
    send(...args: unknown[]) { this.sent.push(args) }
    isDestroyed() { return false }
  }
  class BrowserWindow {
    webContents = new FakeWebContents()
    loaded: unknown
    constructor(readonly options: any) { windows.push(this) }
    once() {}
    show() {}
    loadFile(file: string) { this.loaded = { file } }
    loadURL(url: string) { this.loaded = { url } }
  }
  return {
    windows,
    BrowserWindow,
    shell: { openExternal: vi.fn() },
    protocol: { registerSchemesAsPrivileged: vi.fn(), handle: vi.fn() }
  }
})
vi.mock('electron', () => electron)

const { createMainWindow, RENDERER_CSP } = await import('../../../src-main/window/main-window')
const { registerIpc, trustedSenderCheck } = await import('../../../src-main/ipc/electron-ipc')
const { registerFileScheme, handleFileScheme } = await import('../../../src-main/window/file-protocol')

describe('Electron shell wiring', () => {
  beforeEach(() => {
    electron.windows.length = 0
    vi.clearAllMocks()
  })

  it('creates the window with isolation, the sandbox and no Node integration, and loads the built renderer', () => {
    const window = createMainWindow('/app/out/preload/index.cjs', { file: '/app/out/renderer/index.html' }) as any
    expect(window.options.webPreferences).toEqual({
      preload: '/app/out/preload/index.cjs',
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
      spellcheck: false
    })
    expect(window.loaded).toEqual({ file: '/app/out/renderer/index.html' })
  })

  it('blocks in-app navigation and new windows, opening web links in the browser instead', () => {
    const window = createMainWindow('/p.cjs', { url: 'http://localhost:5173' }) as any
    const navigate = { preventDefault: vi.fn() }
    window.webContents.handlers.get('will-navigate')(navigate)
    expect(navigate.preventDefault).toHaveBeenCalledOnce()
    expect(window.webContents.openHandler({ url: 'https://cocodataset.org' })).toEqual({ action: 'deny' })
    expect(electron.shell.openExternal).toHaveBeenCalledWith('https://cocodataset.org')
    expect(window.webContents.openHandler({ url: 'file:///etc/passwd' })).toEqual({ action: 'deny' })
    expect(electron.shell.openExternal).toHaveBeenCalledTimes(1)
  })

  it('adds the strict CSP to every response', () => {
    const window = createMainWindow('/p.cjs', { file: '/i.html' }) as any
    const install = window.webContents.session.webRequest.onHeadersReceived.mock.calls[0][0]
    const callback = vi.fn()
    install({ responseHeaders: { 'X-Other': ['1'] } }, callback)
    expect(callback).toHaveBeenCalledWith({ responseHeaders: { 'X-Other': ['1'], 'Content-Security-Policy': [RENDERER_CSP] } })
    expect(RENDERER_CSP).toContain("script-src 'self'")
    expect(RENDERER_CSP).not.toContain('unsafe-eval')
  })

  it('registers one handler per contract channel, refuses untrusted senders, and forwards events', async () => {
    const handlers = new Map<string, (event: any, request: unknown) => Promise<unknown>>()
    const ipcMain = { handle: (c: string, fn: any) => handlers.set(c, fn), removeHandler: (c: string) => handlers.delete(c) }
    const window = createMainWindow('/p.cjs', { file: '/i.html' }) as any
    const contents = () => window.webContents
    const dispatch = vi.fn(async (channel: unknown) => ({ ok: true as const, value: channel }))
    const events = new AppEvents()
    const registration = registerIpc(ipcMain as any, dispatch, events, trustedSenderCheck(contents, 'file://'), contents)

    expect([...handlers.keys()].sort()).toEqual([...CHANNEL_NAMES].sort())
    const trusted = { sender: window.webContents, senderFrame: window.webContents.mainFrame }
    await expect(handlers.get('images:list')!(trusted, { offset: 0, limit: 5 })).resolves.toEqual({ ok: true, value: 'images:list' })
    expect(dispatch).toHaveBeenCalledWith('images:list', { offset: 0, limit: 5 })

    // A subframe with the same URL, and a frame of another webContents, are both refused.
    const subframe = { sender: window.webContents, senderFrame: { url: 'file:///app/out/renderer/index.html' } }
    const otherContents = { sender: {}, senderFrame: window.webContents.mainFrame }
    for (const event of [subframe, otherContents]) {
      await expect(handlers.get('instances:delete')!(event, { ids: [1] })).resolves.toEqual({
        ok: false,
        error: { name: 'UntrustedSenderError', code: 'FORBIDDEN', message: 'instances:delete: refused a call from an untrusted frame' }
      })
    }
    // The main frame itself is refused once it shows a page that is not ours.
    window.webContents.mainFrame.url = 'https://evil.example/'
    await expect(handlers.get('images:get')!(trusted, { id: 1 })).resolves.toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } })
    expect(dispatch).toHaveBeenCalledTimes(1)

    events.fire('instances:changed', { imageId: 3 })
    expect(window.webContents.sent).toEqual([[EVENT_CHANNEL, { event: 'instances:changed', payload: { imageId: 3 } }]])

    registration.dispose()
    expect(handlers.size).toBe(0)
    events.fire('instances:changed', { imageId: 4 })
    expect(window.webContents.sent).toHaveLength(1)
  })

  it('serves project files on the rose-file scheme and answers bad URLs with 400 and missing ones with 404', async () => {
    registerFileScheme()
    expect(electron.protocol.registerSchemesAsPrivileged).toHaveBeenCalledWith([
      { scheme: 'rose-file', privileges: { standard: true, secure: true, supportFetchAPI: true, stream: true } }
    ])
    const services = {
      serveFile: vi.fn(async (kind: string, id: number) => {
        if (id === 404) {
          const { NotFoundError } = await import('../../../src-main/common/errors')
          throw new NotFoundError('image 404 does not exist in this project')
        }
        return { contentType: 'image/webp', data: Buffer.from(`${kind}-${id}`) }
      })
    }
    handleFileScheme(services as any)
    const [scheme, handler] = electron.protocol.handle.mock.calls[0]!
    expect(scheme).toBe('rose-file')
    const ok: Response = await handler({ url: 'rose-file://thumb/12' })
    expect(ok.status).toBe(200)
    expect(ok.headers.get('content-type')).toBe('image/webp')
    expect(await ok.text()).toBe('thumb-12')
    expect((await handler({ url: 'rose-file://secrets/1' })).status).toBe(400)
    const missing: Response = await handler({ url: 'rose-file://image/404' })
    expect(missing.status).toBe(404)
    expect(await missing.text()).toBe('image 404 does not exist in this project')
  })
})
