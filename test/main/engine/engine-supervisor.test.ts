import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  EngineCrashedError,
  EngineSupervisor,
  EngineUnavailableError,
  type HostCrashEvent,
  type HostExitEvent,
  type HostStartEvent,
  type SupervisorState
} from '../../../src-main/engine/host/engine-supervisor'
import { forkHostLauncher, type HostLauncher } from '../../../src-main/engine/host/host-process'
import { makeTempDir, put } from '../images/image-factory'
import { sceneRgb, sourceHostLauncher, storeWithOrientation } from './engine-fixtures'

const fixture = (name: string): string => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url))

// Records a supervisor's events for assertions.
function record(supervisor: EngineSupervisor) {
  const events = { starts: [] as HostStartEvent[], exits: [] as HostExitEvent[], crashes: [] as HostCrashEvent[], states: [] as SupervisorState[] }
  supervisor.onDidStart((e) => events.starts.push(e))
  supervisor.onDidExit((e) => events.exits.push(e))
  supervisor.onDidCrash((e) => events.crashes.push(e))
  supervisor.onDidChangeState((s) => events.states.push(s))
  return events
}

async function until(condition: () => boolean, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > end) throw new Error('timed out waiting for a condition')
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

describe('engine supervisor with a real host', () => {
  const supervisor = new EngineSupervisor({ launcher: sourceHostLauncher({ debug: true }) })
  const events = record(supervisor)
  let dir: Awaited<ReturnType<typeof makeTempDir>>
  beforeAll(async () => {
    dir = await makeTempDir('rose-supervisor-')
    await supervisor.start()
  })
  afterAll(async () => {
    await supervisor.dispose()
    await dir.dispose()
  })

  it('starts the host and reports it ready', () => {
    expect(supervisor.state).toBe('ready')
    expect(events.starts).toEqual([{ pid: supervisor.pid, restarts: 0 }])
    expect(events.states).toEqual(['starting', 'ready'])
  })

  it('restarts the host after SIGKILL and fails the in-flight request with a clear error', async () => {
    const first = supervisor.pid!
    let running!: () => void
    const started = new Promise<void>((resolve) => (running = resolve))
    const inFlight = supervisor.call('debug.work', { ms: 10_000, steps: 1000 }, { onProgress: () => running() })
    await started
    process.kill(first, 'SIGKILL')
    const error = await inFlight.catch((e: unknown) => e)
    expect(error).toBeInstanceOf(EngineCrashedError)
    expect(error).toMatchObject({
      code: 'ENGINE_CRASHED',
      message: 'The engine process stopped unexpectedly (killed by SIGKILL) while running debug.work; it is being restarted, try again in a moment.'
    })
    expect(events.crashes).toEqual([{ pid: first, code: null, signal: 'SIGKILL', crashes: 1, failed: 1, retried: 0, restartInMs: 250 }])
    expect(events.exits.at(-1)).toEqual({ pid: first, code: null, signal: 'SIGKILL', expected: false })
    await until(() => supervisor.state === 'ready')
    expect(events.starts.at(-1)).toEqual({ pid: supervisor.pid, restarts: 1 })
    expect(supervisor.pid).not.toBe(first)
    expect((await supervisor.call('engine.status', {})).pid).toBe(supervisor.pid)
  })

  it('sends an idempotent request again to the restarted host instead of failing it', async () => {
    const image = await put(join(dir.path, 'a.png'), await storeWithOrientation(await sceneRgb(64, 48, '#333', []), 64, 48, 1))
    const before = supervisor.pid!
    const crashes = events.crashes.length
    const prepared = supervisor.call('segmenter.prepare', { image: { path: image } })
    await new Promise((resolve) => setTimeout(resolve, 100))
    process.kill(before, 'SIGKILL')
    expect(await prepared).toMatchObject({ width: 64, height: 48, cached: false })
    expect(events.crashes.length).toBe(crashes + 1)
    expect(events.crashes.at(-1)).toMatchObject({ signal: 'SIGKILL', failed: 0, retried: 1 })
    expect(supervisor.pid).not.toBe(before)
  })

  it('holds calls made while the host restarts and sends them when it is ready', async () => {
    const before = supervisor.pid!
    process.kill(before, 'SIGKILL')
    await until(() => supervisor.state === 'restarting')
    const status = await supervisor.call('engine.status', {})
    expect(status.pid).not.toBe(before)
  })
})

describe('engine supervisor on misbehaving hosts', () => {
  it('gives up after too many crashes, fails calls clearly, and comes back on restart()', async () => {
    let launch: HostLauncher = forkHostLauncher({ entry: fixture('crashing-host.mjs') })
    const supervisor = new EngineSupervisor({ launcher: () => launch(), initialBackoffMs: 10, maxCrashes: 2, crashWindowMs: 60_000 })
    const events = record(supervisor)
    await supervisor.start()
    await until(() => supervisor.state === 'failed')
    expect(events.crashes.map((c) => [c.code, c.crashes, c.restartInMs])).toEqual([
      [3, 1, 10],
      [3, 2, 20],
      [3, 3, null]
    ])
    await expect(supervisor.call('engine.status', {})).rejects.toThrow(
      new EngineUnavailableError('The engine process keeps crashing and is stopped; restart it from the engine status')
    )
    // Fixed (say, a broken pack replaced): a manual restart starts afresh.
    launch = sourceHostLauncher()
    await supervisor.restart()
    expect(supervisor.state).toBe('ready')
    expect((await supervisor.call('engine.status', {})).pid).toBe(supervisor.pid)
    await supervisor.dispose()
  })

  it('kills a host that does not become ready in time and counts it as a crash', async () => {
    const supervisor = new EngineSupervisor({ launcher: forkHostLauncher({ entry: fixture('silent-host.mjs') }), readyTimeoutMs: 300, maxCrashes: 0 })
    const events = record(supervisor)
    await expect(supervisor.start()).rejects.toThrow('The engine process did not start within 0.3 s')
    await until(() => events.crashes.length === 1)
    expect(events.crashes[0]).toMatchObject({ signal: 'SIGKILL', restartInMs: null })
    expect(supervisor.state).toBe('failed')
    await supervisor.dispose()
  })

  it('EXPECTED FAILURE – refuses a host that speaks another protocol version', async () => {
    const supervisor = new EngineSupervisor({ launcher: forkHostLauncher({ entry: fixture('old-protocol-host.mjs') }) })
    // A call that starts the host fails too, instead of waiting for a host that will never serve.
    const call = supervisor.call('engine.status', {})
    await expect(supervisor.start()).rejects.toThrow('The engine host speaks protocol 0, main speaks 1')
    await expect(call).rejects.toThrow('The engine host speaks protocol 0, main speaks 1')
    expect(supervisor.state).toBe('failed')
    await supervisor.dispose()
  })

  it('shuts the host down gracefully on dispose and fails later calls', async () => {
    const supervisor = new EngineSupervisor({ launcher: sourceHostLauncher({ debug: true }) })
    const events = record(supervisor)
    await supervisor.start()
    const pid = supervisor.pid
    await supervisor.dispose()
    expect(events.exits).toEqual([{ pid, code: 0, signal: null, expected: true }])
    expect(events.crashes).toEqual([])
    await expect(supervisor.call('engine.status', {})).rejects.toThrow(new EngineUnavailableError('The engine has been shut down'))
  })

  it('BAD CALL – a supervisor needs a launcher', () => {
    expect(() => new EngineSupervisor({} as never)).toThrow(new TypeError('options.launcher: expected a function that starts a host process'))
  })
})
