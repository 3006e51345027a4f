/**
 * The engine settings the user chose in the engine panel, kept in the user-data folder so that a crash
 * restart of the engine process or a restart of the app keeps them (today: the device override).
 */
import { readFileSync } from 'node:fs'
import { writeFileAtomic } from '../common/atomic-file'
import { parseDeviceSetting, type DeviceSetting } from '../engine/providers'

/** What is saved. */
export interface EngineSettings {
  readonly device: DeviceSetting
}

const DEFAULTS: EngineSettings = { device: 'auto' }

/** The saved settings, the defaults when the file is absent; a damaged file is reported and ignored. */
export function readEngineSettings(file: string): EngineSettings {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch {
    return DEFAULTS
  }
  try {
    const doc = JSON.parse(text) as { device?: unknown }
    return { device: doc.device === undefined ? DEFAULTS.device : parseDeviceSetting(doc.device, `${file}: device`) }
  } catch (error) {
    // The engine still has to start; the panel shows the default and the next choice rewrites the file.
    console.warn(`[engine] ignoring ${file}: ${error instanceof Error ? error.message : String(error)}`)
    return DEFAULTS
  }
}

/** Saves the settings atomically (temporary sibling, then rename), so a crash never leaves half a file. */
export function writeEngineSettings(file: string, settings: EngineSettings): Promise<void> {
  return writeFileAtomic(file, `${JSON.stringify(settings, null, 2)}\n`)
}
