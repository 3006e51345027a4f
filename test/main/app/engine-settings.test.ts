import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it, vi } from 'vitest'
import { AppEvents } from '../../../src-main/app/app-events'
import { readEngineSettings, writeEngineSettings } from '../../../src-main/app/engine-settings'
import { EngineService } from '../../../src-main/app/engine-service'
import { EngineSupervisor } from '../../../src-main/engine/host/engine-supervisor'
import { sourceHostLauncher } from '../engine/engine-fixtures'

const dir = mkdtempSync(join(tmpdir(), 'rose-engine-settings-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('engine settings file', () => {
  it('defaults to auto, round-trips a choice, and ignores a damaged file with a warning', async () => {
    const file = join(dir, 'a', 'engine-settings.json')
    expect(readEngineSettings(file)).toEqual({ device: 'auto' })
    await writeEngineSettings(file, { device: 'cpu' })
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ device: 'cpu' })
    expect(readEngineSettings(file)).toEqual({ device: 'cpu' })
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
    writeFileSync(file, '{"device": "gpu"}')
    expect(readEngineSettings(file)).toEqual({ device: 'auto' })
    expect(warn).toHaveBeenCalledWith(`[engine] ignoring ${file}: ${file}: device: expected one of auto, cuda, cpu, got "gpu"`)
    writeFileSync(file, '{oops')
    expect(readEngineSettings(file)).toEqual({ device: 'auto' })
    expect(warn).toHaveBeenCalledTimes(2)
    warn.mockRestore()
  })
})

describe('the device choice survives a crash of the engine process and a restart of the app', () => {
  const file = join(dir, 'b', 'engine-settings.json')
  const service = (): EngineService =>
    new EngineService(new EngineSupervisor({ launcher: sourceHostLauncher({ device: 'auto' }), initialBackoffMs: 10 }), new AppEvents(), file)

  async function readyStatus(engine: EngineService, notPid?: number) {
    for (let i = 0; i < 400; i++) {
      const status = await engine.status()
      if (status.state === 'ready' && status.pid !== notPid) return status
      await new Promise((r) => setTimeout(r, 25))
    }
    throw new Error('the engine did not become ready')
  }

  it('keeps CPU after the host is killed, and the next app start begins on CPU', async () => {
    const first = service()
    try {
      first.warmUp()
      const before = await readyStatus(first)
      expect(before.setting).toBe('auto')
      expect((await first.setDevice('cpu')).setting).toBe('cpu')
      expect(readEngineSettings(file)).toEqual({ device: 'cpu' })
      process.kill(before.pid!, 'SIGKILL')
      const after = await readyStatus(first, before.pid!)
      expect(after.pid).not.toBe(before.pid)
      expect(after.setting).toBe('cpu')
    } finally {
      first.dispose()
    }
    const second = service()
    try {
      second.warmUp()
      expect((await readyStatus(second)).setting).toBe('cpu')
    } finally {
      second.dispose()
    }
  }, 60_000)
})
