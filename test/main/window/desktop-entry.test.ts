// src-main/index.ts, the Electron composition root, with `electron` faked: the window gets the built
// preload and renderer, every channel is handled behind the file:// sender check, a second instance
// focuses the first window, and quitting closes the project before the process ends.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it, vi } from 'vitest'
import { CHANNEL_NAMES } from '../../../src-preload/channels'

const fake = vi.hoisted(() => {
  const appHandlers = new Map<string, (...args: any[]) => void>()
  const windows: any[] = []
  class BrowserWindow {
    static getAllWindows = () => windows
    webContents = { mainFrame: { url: 'file:///app/out/renderer/index.html' }, on() {}, setWindowOpenHandler() {}, session: { webRequest: { onHeadersReceived() {} } }, isDestroyed: () => false, send() {} }
    loaded: unknown
    focused = 0
    restored = 0
    minimized = true
    constructor(readonly options: any) { windows.push(this) }
    once() {}
    show() {}
    loadFile(file: string) { this.loaded = { file } }
    loadURL(url: string) { this.loaded = { url } }
    isDestroyed() { return false }
    isMinimized() { return this.minimized }
    restore() { this.restored++ }
    focus() { this.focused++ }
  }
  let ready!: () => void
  const whenReadyPromise = new Promise<void>((r) => (ready = r))
  const quit = vi.fn()
  return {
    appHandlers,
    windows,
    ready: () => ready(),
    quit,
    electron: {
      app: {
        requestSingleInstanceLock: () => true,
        whenReady: () => whenReadyPromise,
        isPackaged: false,
        getVersion: () => '9.9.9',
        getPath: (_: string) => (globalThis as any).__roseUserData as string,
        on: (name: string, fn: (...args: any[]) => void) => appHandlers.set(name, fn),
        quit,
        exit: vi.fn()
      },
      BrowserWindow,
      dialog: { showOpenDialog: vi.fn(), showErrorBox: vi.fn() },
      ipcMain: { handle: vi.fn(), removeHandler: vi.fn() },
      protocol: { registerSchemesAsPrivileged: vi.fn(), handle: vi.fn() },
      shell: { openExternal: vi.fn() },
      // No engine process can start without Electron; the app must come up anyway.
      utilityProcess: { fork: () => { throw new Error('utilityProcess is not available in this test') } }
    }
  }
})
vi.mock('electron', () => fake.electron)

const userData = mkdtempSync(join(tmpdir(), 'rose-desktop-'))
;(globalThis as any).__roseUserData = userData
process.env['ROSE_PROJECT'] = join(userData, 'project')

describe('desktop entry (src-main/index.ts)', () => {
  afterAll(() => {
    delete process.env['ROSE_PROJECT']
    rmSync(userData, { recursive: true, force: true })
  })

  it('opens one window on the built preload and renderer, handles every channel, and closes the project on quit', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
    await import('../../../src-main/index')
    expect(fake.electron.protocol.registerSchemesAsPrivileged).toHaveBeenCalledTimes(1)
    fake.ready()
    for (let i = 0; i < 200 && fake.windows.length === 0; i++) await new Promise((r) => setTimeout(r, 10))
    expect(fake.windows).toHaveLength(1)
    const window = fake.windows[0]
    expect(window.options.webPreferences.preload).toMatch(/[/\\]preload[/\\]index\.cjs$/)
    expect(window.options.webPreferences).toMatchObject({ contextIsolation: true, sandbox: true, nodeIntegration: false })
    expect(window.loaded.file).toMatch(/[/\\]renderer[/\\]index\.html$/)
    expect(fake.electron.ipcMain.handle.mock.calls.map((c: unknown[]) => c[0]).sort()).toEqual([...CHANNEL_NAMES].sort())
    expect(fake.electron.protocol.handle).toHaveBeenCalledTimes(1)

    // A call from a page that is not the app's own file:// page is refused.
    const handler = fake.electron.ipcMain.handle.mock.calls.find((c: unknown[]) => c[0] === 'project:current')![1] as (event: unknown, request: unknown) => Promise<any>
    const foreign = await handler({ senderFrame: { url: 'https://example.com/' }, sender: window.webContents }, {})
    expect(foreign).toEqual({ ok: false, error: { name: 'UntrustedSenderError', code: 'FORBIDDEN', message: 'project:current: refused a call from an untrusted frame' } })
    const own = await handler({ senderFrame: window.webContents.mainFrame, sender: window.webContents }, {})
    expect(own).toMatchObject({ ok: true, value: { path: join(userData, 'project') } })

    // A second start of the app focuses the existing window instead.
    fake.appHandlers.get('second-instance')!()
    expect([window.restored, window.focused]).toEqual([1, 1])

    // Quitting waits for the project to close, then quits for real.
    const event = { preventDefault: vi.fn() }
    fake.appHandlers.get('will-quit')!(event)
    expect(event.preventDefault).toHaveBeenCalledTimes(1)
    for (let i = 0; i < 200 && fake.quit.mock.calls.length === 0; i++) await new Promise((r) => setTimeout(r, 10))
    expect(fake.quit).toHaveBeenCalledTimes(1)
    expect(fake.electron.ipcMain.removeHandler).toHaveBeenCalledTimes(CHANNEL_NAMES.length)
    warn.mockRestore()
  }, 30_000)
})
