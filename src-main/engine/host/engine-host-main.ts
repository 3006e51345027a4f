/**
 * Entry point of the engine host process (built by electron-vite as `out/main/engine-host.js`).
 * Started by main with `child_process.fork` (serve mode, tests) or Electron's `utilityProcess.fork`
 * (desktop); options arrive as JSON in ROSE_ENGINE_OPTIONS.
 */
import { EngineHost, ENGINE_OPTIONS_ENV, parseHostOptions } from './engine-host'
import { electronParentPort, forkedHostPort, utilityHostPort } from './host-port'

const parentPort = electronParentPort()
const port = parentPort !== undefined ? utilityHostPort(parentPort) : forkedHostPort()
const host = new EngineHost(port, parseHostOptions(process.env[ENGINE_OPTIONS_ENV]))
// Without main there is nobody to answer: stop instead of lingering as an orphan.
port.onDisconnect(() => {
  void host.dispose().finally(() => port.exit(0))
})
host.announce()
