/**
 * The Electron shell: app lifecycle and the composition root. The only file besides window/ that imports
 * electron; everything else is plain Node and is shared with serve mode.
 */
import { app, BrowserWindow, dialog, ipcMain } from 'electron'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { AppServices } from './app/app-services'
import { defaultProjectDir } from './app/paths'
import { engineHostEnv, engineSettingsFile } from './app/engine-options'
import { errorMessage } from './common/errors'
import { utilityProcessLauncher } from './engine/host/utility-process-launcher'
import { registerIpc, trustedSenderCheck } from './ipc/electron-ipc'
import { handleFileScheme, registerFileScheme } from './window/file-protocol'
import { createMainWindow, type RendererSource } from './window/main-window'

const here = fileURLToPath(new URL('.', import.meta.url))

/** Starts the desktop app: one window, the services, IPC and the file scheme. */
export async function startDesktop(): Promise<void> {
  if (!app.requestSingleInstanceLock()) {
    app.quit()
    return
  }
  registerFileScheme()
  await app.whenReady()

  const resourcesDir = app.isPackaged ? join(process.resourcesPath, 'resources') : join(here, '../../resources')
  let window: BrowserWindow | undefined
  const services = await AppServices.create({
    version: app.getVersion(),
    transport: 'ipc',
    resourcesDir,
    projectDir: process.env.ROSE_PROJECT,
    defaultProjectDir: defaultProjectDir(app.getPath('userData')),
    engineLauncher: utilityProcessLauncher({ entry: join(here, 'engine-host.js'), env: engineHostEnv(resourcesDir, app.getPath('userData')) }),
    engineSettingsFile: engineSettingsFile(app.getPath('userData')),
    pickPaths: async (kind) => {
      const options = { properties: kind === 'folder' ? ['openDirectory' as const] : ['openFile' as const, 'multiSelections' as const] }
      const result = window ? await dialog.showOpenDialog(window, options) : await dialog.showOpenDialog(options)
      return result.canceled ? [] : result.filePaths
    }
  })
  handleFileScheme(services)

  const devUrl = process.env.ELECTRON_RENDERER_URL
  const source: RendererSource = devUrl ? { url: devUrl } : { file: join(here, '../renderer/index.html') }
  const origin = devUrl ? new URL(devUrl).origin : 'file://'
  const contents = () => (window && !window.isDestroyed() ? window.webContents : undefined)
  const ipc = registerIpc(ipcMain, services.dispatch, services.events, trustedSenderCheck(contents, origin), contents)

  const open = () => {
    window = createMainWindow(join(here, '../preload/index.cjs'), source)
  }
  open()
  // After the window, so the first paint never waits for onnxruntime to load.
  services.engine.warmUp()
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) open()
  })
  app.on('second-instance', () => {
    if (window?.isMinimized()) window.restore()
    window?.focus()
  })
  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit()
  })
  let closing = false
  app.on('will-quit', (event) => {
    if (closing) return
    // Finish jobs' last writes and close the database before the process goes.
    closing = true
    event.preventDefault()
    ipc.dispose()
    void services.close().finally(() => app.quit())
  })
}

startDesktop().catch((error) => {
  dialog.showErrorBox('ROSE Studio could not start', errorMessage(error))
  app.exit(1)
})
