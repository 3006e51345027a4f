/**
 * The engine host's options as main passes them (ROSE_ENGINE_OPTIONS): where model packs are — the
 * bundled `resources/models` and the user's packs folder (`<user data>/models`, or ROSE_PACKS_DIR).
 */
import { join } from 'node:path'
import { ENGINE_OPTIONS_ENV, type EngineHostOptions } from '../engine/host/engine-host'

/** The user's model packs folder inside a user-data folder. */
export function userPacksDir(dataDir: string, env: NodeJS.ProcessEnv = process.env): string {
  return env['ROSE_PACKS_DIR'] ?? join(dataDir, 'models')
}

/** The environment that carries the host's options: bundled packs first, then the user's. */
export function engineHostEnv(resourcesDir: string, dataDir: string, env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const options: EngineHostOptions = {
    packs: {
      sources: [
        { dir: join(resourcesDir, 'models'), kind: 'bundled' },
        { dir: userPacksDir(dataDir, env), kind: 'user' }
      ]
    }
  }
  return { [ENGINE_OPTIONS_ENV]: JSON.stringify(options) }
}

/** The file that keeps the engine panel's choices inside a user-data folder. */
export function engineSettingsFile(dataDir: string): string {
  return join(dataDir, 'engine-settings.json')
}
