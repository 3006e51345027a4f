import { homedir } from 'node:os'
import { join } from 'node:path'

/** The product name, which also names the user-data folder (as Electron's `app.getPath('userData')` does). */
export const PRODUCT_NAME = 'ROSE Studio'

/**
 * The user-data folder Electron would use for this app, computed without Electron so that serve mode and
 * the desktop app open the same default project.
 */
export function userDataDir(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string {
  if (platform === 'win32') return join(env.APPDATA ?? join(homedir(), 'AppData', 'Roaming'), PRODUCT_NAME)
  if (platform === 'darwin') return join(homedir(), 'Library', 'Application Support', PRODUCT_NAME)
  return join(env.XDG_CONFIG_HOME ?? join(homedir(), '.config'), PRODUCT_NAME)
}

/** The default project inside a user-data folder. */
export function defaultProjectDir(dataDir: string): string {
  return join(dataDir, 'projects', 'default')
}
