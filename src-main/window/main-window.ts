import { BrowserWindow, shell, type Session } from 'electron'

/** Where the window loads the renderer from: the dev server URL or the built index.html. */
export type RendererSource = { readonly url: string } | { readonly file: string }

/** The content security policy of the renderer; matches the serve-mode policy plus our file scheme. */
export const RENDERER_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob: rose-file:; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"

/**
 * Creates the main window with the renderer locked down: context isolation and the sandbox on, no Node
 * in the page, a strict CSP, in-app navigation and new windows refused (http(s) links open in the browser).
 */
export function createMainWindow(preloadPath: string, source: RendererSource): BrowserWindow {
  const window = new BrowserWindow({
    width: 1440,
    height: 900,
    minWidth: 960,
    minHeight: 600,
    show: false,
    backgroundColor: '#16181d',
    title: 'ROSE Studio',
    webPreferences: {
      preload: preloadPath,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
      spellcheck: false
    }
  })
  applyCsp(window.webContents.session)
  window.webContents.on('will-navigate', (event) => event.preventDefault())
  window.webContents.on('will-attach-webview', (event) => event.preventDefault())
  window.webContents.setWindowOpenHandler(({ url }) => {
    if (url.startsWith('https://') || url.startsWith('http://')) void shell.openExternal(url)
    return { action: 'deny' }
  })
  window.once('ready-to-show', () => window.show())
  if ('url' in source) void window.loadURL(source.url)
  else void window.loadFile(source.file)
  return window
}

function applyCsp(session: Session): void {
  session.webRequest.onHeadersReceived((details, callback) => {
    callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [RENDERER_CSP] } })
  })
}
