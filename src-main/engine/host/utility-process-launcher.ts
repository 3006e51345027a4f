/**
 * The desktop app's engine launcher: Electron's `utilityProcess` (a Node process managed by
 * Electron, sandbox-free, talking over a message port). The only engine file that imports
 * `electron`; everything else sees a HostProcess.
 */
import { utilityProcess } from 'electron'
import { Emitter } from '../../common/event'
import type { HostExit, HostLauncher } from './host-process'
import { isFromHost, type FromHost } from './protocol'

/** Options of the utility-process launcher. */
export interface UtilityLauncherOptions {
  /** The built host entry, `out/main/engine-host.js`. */
  readonly entry: string
  /** Extra environment variables (e.g. ROSE_ENGINE_OPTIONS). */
  readonly env?: Readonly<Record<string, string>>
}

/** A launcher that starts the host as an Electron utility process. */
export function utilityProcessLauncher(options: UtilityLauncherOptions): HostLauncher {
  return () => {
    const child = utilityProcess.fork(options.entry, [], {
      serviceName: 'ROSE engine',
      stdio: 'inherit',
      env: { ...process.env, ...options.env }
    })
    const onMessage = new Emitter<FromHost>()
    const onExit = new Emitter<HostExit>()
    let exited = false
    child.on('message', (message: unknown) => {
      if (isFromHost(message)) onMessage.fire(message)
      else console.error('[engine] ignored a malformed message from the host')
    })
    child.on('error', (type, location) => console.error(`[engine] host ${type} at ${location}`))
    // Electron reports only an exit code; a crash shows as a non-zero code, never as a signal.
    child.on('exit', (code) => {
      if (exited) return
      exited = true
      onExit.fire({ code, signal: null })
      onMessage.dispose()
      onExit.dispose()
    })
    return {
      get pid() {
        return child.pid
      },
      send(message) {
        if (!exited) child.postMessage(message)
      },
      onMessage: onMessage.event,
      onExit: onExit.event,
      kill() {
        if (!exited) child.kill()
      }
    }
  }
}
