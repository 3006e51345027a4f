// @vitest-environment happy-dom
import { createPinia, setActivePinia } from 'pinia'
import { beforeEach, describe, expect, test } from 'vitest'
import type { EngineStatusValue } from '../../../src-preload/contract'
import { useEngineStore } from '../../../src-renderer/src/stores/engine'
import { useSessionStore } from '../../../src-renderer/src/stores/session'
import { FakeApi } from '../fake-api'

function status(state: EngineStatusValue['state'], setting: EngineStatusValue['setting'] = 'auto'): EngineStatusValue {
  return {
    state,
    message: state === 'ready' ? null : 'the engine is starting',
    pid: state === 'ready' ? 77 : null,
    setting,
    cuda: { available: false, kind: 'no-driver', reason: 'No NVIDIA driver is loaded.', fix: 'npm run gpu:setup', error: null },
    graphs: [],
    segmenter: null,
    queue: null
  }
}

let api: FakeApi

beforeEach(() => {
  setActivePinia(createPinia())
  api = new FakeApi()
    .handle('engine:status', () => status('starting'))
    .handle('engine:restart', () => status('ready'))
    .handle('engine:setDevice', ({ device }) => status('ready', device))
  useSessionStore().attach(api)
})

describe('useEngineStore', () => {
  test('counts each time the engine becomes ready, once, whether the event or the answer says it first', async () => {
    const engine = useEngineStore()
    await engine.load()
    expect(engine.readyCount).toBe(0)
    engine.onStatus(status('ready'))
    engine.onStatus(status('ready'))
    expect(engine.readyCount).toBe(1)
    await engine.setDevice('cpu')
    expect(engine.status?.setting).toBe('cpu')
    expect(engine.readyCount).toBe(1)
    engine.onStatus(status('restarting'))
    engine.onStatus(status('ready'))
    expect(engine.readyCount).toBe(2)
  })

  test('a restart counts as a fresh engine even when no event showed it stopping', async () => {
    const engine = useEngineStore()
    engine.onStatus(status('ready'))
    await engine.restart()
    expect(engine.readyCount).toBe(2)
    expect(engine.busy).toBeNull()
    expect(api.requests('engine:restart')).toEqual([{}])
  })
})
