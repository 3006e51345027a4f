/**
 * Main's handle on one engine host process, and the launcher that forks one with Node's
 * `child_process.fork` (serve mode, tests). The Electron launcher (utility-process-launcher.ts)
 * gives the same interface, so the supervisor does not know which runtime started the host.
 */
import { fork } from 'node:child_process'
import { Emitter, type Event } from '../../common/event'
import { isFromHost, type FromHost, type ToHost } from './protocol'

/** How a host process ended: an exit code, or the signal that killed it. */
export interface HostExit {
  readonly code: number | null
  readonly signal: string | null
}

/** A running host process as main sees it. */
export interface HostProcess {
  readonly pid: number | undefined
  /** Sends a message; dropped once the process has exited. */
  send(message: ToHost): void
  readonly onMessage: Event<FromHost>
  /** Fires once when the process has ended. */
  readonly onExit: Event<HostExit>
  /** Ends the process at once (SIGKILL for a forked one). */
  kill(): void
}

/** Starts a new host process. */
export type HostLauncher = () => HostProcess

/** Options of the fork launcher. */
export interface ForkLauncherOptions {
  /** The host's entry module: `out/main/engine-host.js`, or the TypeScript source in tests. */
  readonly entry: string
  /** Node flags for the child (tests add a TypeScript loader). */
  readonly execArgv?: readonly string[]
  /** Extra environment variables (e.g. ROSE_ENGINE_OPTIONS). */
  readonly env?: Readonly<Record<string, string>>
}

/** A launcher that forks the host with Node's child_process. */
export function forkHostLauncher(options: ForkLauncherOptions): HostLauncher {
  return () => {
    const child = fork(options.entry, [], {
      execArgv: [...(options.execArgv ?? [])],
      env: { ...process.env, ...options.env },
      // Structured clone, so typed arrays keep their type across the channel.
      serialization: 'advanced',
      stdio: ['ignore', 'inherit', 'inherit', 'ipc']
    })
    const onMessage = new Emitter<FromHost>()
    const onExit = new Emitter<HostExit>()
    let exited = false
    child.on('message', (message) => {
      if (isFromHost(message)) onMessage.fire(message)
      else console.error('[engine] ignored a malformed message from the host')
    })
    // 'exit' can be missed when spawning fails; 'error' then reports it and we end it the same way.
    const end = (exit: HostExit): void => {
      if (exited) return
      exited = true
      onExit.fire(exit)
      onMessage.dispose()
      onExit.dispose()
    }
    child.on('exit', (code, signal) => end({ code, signal }))
    child.on('error', (error) => {
      console.error('[engine] host process error:', error.message)
      if (child.exitCode === null && child.signalCode === null && child.pid === undefined) end({ code: null, signal: null })
    })
    return {
      get pid() {
        return child.pid
      },
      send(message) {
        if (exited || !child.connected) return
        child.send(message, (error) => {
          // The channel can close between the check and the write when the host dies; exit handling covers it.
          if (error) console.warn('[engine] could not send to the host:', error.message)
        })
      },
      onMessage: onMessage.event,
      onExit: onExit.event,
      kill() {
        if (!exited) child.kill('SIGKILL')
      }
    }
  }
}
