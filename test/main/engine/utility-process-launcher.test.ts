import { EventEmitter } from 'node:events'
import { describe, expect, it, vi } from 'vitest'

// The Electron binary cannot run here: a fake utilityProcess records what the launcher asks of it.
const electron = vi.hoisted(() => {
  const forks: { modulePath: string; args: string[]; options: Record<string, unknown>; child: FakeUtilityProcess }[] = []
  class FakeUtilityProcess extends (require('node:events') as typeof import('node:events')).EventEmitter {
    pid = 4242
    posted: unknown[] = []
    killed = false
    postMessage(message: unknown) {
      this.posted.push(message)
    }
    kill() {
      this.killed = true
      return true
    }
  }
  return {
    forks,
    utilityProcess: {
      fork(modulePath: string, args: string[], options: Record<string, unknown>) {
        const child = new FakeUtilityProcess()
        forks.push({ modulePath, args, options, child })
        return child
      }
    }
  }
})
vi.mock('electron', () => electron)

const { utilityProcessLauncher } = await import('../../../src-main/engine/host/utility-process-launcher')

describe('Electron utility-process launcher', () => {
  it('forks the built host entry as a named utility process with the engine options in its environment', () => {
    const host = utilityProcessLauncher({ entry: '/app/out/main/engine-host.js', env: { ROSE_ENGINE_OPTIONS: '{"device":"cpu"}' } })()
    const fork = electron.forks.at(-1)!
    expect(fork.modulePath).toBe('/app/out/main/engine-host.js')
    expect(fork.args).toEqual([])
    expect(fork.options).toMatchObject({ serviceName: 'ROSE engine', stdio: 'inherit', env: expect.objectContaining({ ROSE_ENGINE_OPTIONS: '{"device":"cpu"}' }) })
    expect(host.pid).toBe(4242)
  })

  it('carries messages both ways and drops malformed ones from the host', () => {
    const host = utilityProcessLauncher({ entry: 'host.js' })()
    const child = electron.forks.at(-1)!.child as unknown as EventEmitter & { posted: unknown[] }
    const received: unknown[] = []
    host.onMessage((m) => received.push(m))
    host.send({ type: 'request', id: 1, method: 'engine.status', params: {} })
    child.emit('message', { type: 'ready', pid: 4242, protocol: 1 })
    child.emit('message', { hello: 'world' })
    expect(child.posted).toEqual([{ type: 'request', id: 1, method: 'engine.status', params: {} }])
    expect(received).toEqual([{ type: 'ready', pid: 4242, protocol: 1 }])
  })

  it('reports the exit once, as a code without a signal, and stops sending afterwards', () => {
    const host = utilityProcessLauncher({ entry: 'host.js' })()
    const child = electron.forks.at(-1)!.child as unknown as EventEmitter & { posted: unknown[]; killed: boolean }
    const exits: unknown[] = []
    host.onExit((e) => exits.push(e))
    host.kill()
    expect(child.killed).toBe(true)
    child.emit('exit', 9)
    child.emit('exit', 9)
    host.send({ type: 'shutdown' })
    expect(exits).toEqual([{ code: 9, signal: null }])
    expect(child.posted).toEqual([])
  })
})
