// @vitest-environment happy-dom
import { createPinia, setActivePinia } from 'pinia'
import { beforeEach, describe, expect, test } from 'vitest'
import type { EngineStatusValue, ModelPackInfoValue } from '../../../src-preload/contract'
import { ExpectedError } from '../../../src-renderer/src/api'
import { useEngineStore } from '../../../src-renderer/src/stores/engine'
import { packMetrics, roseBlocker, usePacksStore } from '../../../src-renderer/src/stores/packs'
import { useSessionStore } from '../../../src-renderer/src/stores/session'
import { FakeApi } from '../fake-api'

function status(state: EngineStatusValue['state'], activePack: string | null = null): EngineStatusValue {
  return {
    state,
    message: state === 'ready' ? null : 'the engine process exited',
    pid: 7,
    setting: 'auto',
    cuda: { available: false, kind: 'no-driver', reason: 'none', fix: null, error: null },
    graphs: [],
    segmenter: null,
    activePack,
    queue: null
  }
}

function pack(id: string, state: 'ok' | 'broken', active = false): ModelPackInfoValue {
  return {
    id,
    name: id.split('@')[0]!,
    version: id.split('@')[1] ?? null,
    description: '',
    dir: `/packs/${id}`,
    source: 'user',
    state,
    error: state === 'broken' ? { code: 'PACK_BROKEN', message: 'sam_decoder.onnx: sha256 mismatch', file: 'sam_decoder.onnx', tensor: null, expected: 'ab12' } : null,
    active,
    metrics: null,
      parent: null,
    created: '2026-11-26T10:00:00Z'
  }
}

describe('roseBlocker', () => {
  test('nothing stands in the way of a ready engine with a usable pack, or while the packs are not listed yet', () => {
    expect(roseBlocker(status('ready'), [pack('a@1', 'broken'), pack('b@1', 'ok')], null)).toBeNull()
    expect(roseBlocker(status('ready'), null, null)).toBeNull()
  })

  test('names an engine that is starting, absent or stopped', () => {
    expect(roseBlocker(status('starting'), [], null)).toBe('The engine is starting; the model can be used once it is ready.')
    expect(roseBlocker(status('unavailable'), null, null)).toBe(
      'The model needs the engine, and this app runs without one (the engine process exited). Manual annotation still works.'
    )
    expect(roseBlocker(status('failed'), null, null)).toBe(
      'The engine is not running (the engine process exited). Restart it from the engine panel (status bar); manual annotation still works.'
    )
  })

  test('says that no pack is installed, or that every one is broken and why', () => {
    expect(roseBlocker(status('ready'), [], null)).toMatch(/^No model pack is installed\. Copy a ROSE pack folder into the models folder/)
    expect(roseBlocker(status('ready'), [pack('a@1', 'broken'), pack('b@2', 'broken')], null)).toBe(
      'No installed model pack is usable: a@1 is broken (and 1 more): sam_decoder.onnx: sha256 mismatch. See the engine panel.'
    )
    expect(roseBlocker(null, null, 'the engine is not running')).toBe('The model packs could not be listed: the engine is not running')
  })
})

describe('packMetrics', () => {
  test('shows the known headline figures in order, rounded to three places', () => {
    expect(packMetrics({ name_exact_match: 0.5682, 'recall_at_0.5': 0.29931, scenes: 24, by_kind: {} })).toEqual([
      { label: 'recall@0.5', value: '0.299' },
      { label: 'names', value: '0.568' }
    ])
  })

  test('falls back to any top-level numbers, and shows nothing without metrics', () => {
    expect(packMetrics({ miou: 0.8, images: 200, note: 'x' })).toEqual([
      { label: 'miou', value: '0.800' },
      { label: 'images', value: '200' }
    ])
    expect(packMetrics(null)).toEqual([])
  })
})

describe('usePacksStore', () => {
  let api: FakeApi
  let installed: ModelPackInfoValue[]

  beforeEach(() => {
    setActivePinia(createPinia())
    installed = [pack('rose-tiny@1.0.0', 'ok', true), pack('rose-tiny@1.1.0', 'ok')]
    api = new FakeApi()
      .handle('engine:packs', () => installed)
      .handle('engine:status', () => status('ready', installed.find((p) => p.active)?.id ?? null))
      .handle('engine:activatePack', ({ id }) => {
        installed = installed.map((p) => ({ ...p, active: p.id === id }))
        return installed.find((p) => p.id === id)!
      })
    useSessionStore().attach(api)
  })

  test('activating a pack lists the packs and reads the engine status again', async () => {
    const packs = usePacksStore()
    await packs.load()
    expect(packs.active?.id).toBe('rose-tiny@1.0.0')
    await packs.activate('rose-tiny@1.1.0')
    expect(packs.active?.id).toBe('rose-tiny@1.1.0')
    expect(useEngineStore().status?.activePack).toBe('rose-tiny@1.1.0')
    expect(packs.activating).toBeNull()
  })

  test('EXPECTED FAILURE – a listing refused by main is kept as the reason, not thrown', async () => {
    api.handle('engine:packs', () => {
      throw new ExpectedError('ENGINE_UNAVAILABLE', 'the engine is not running', 'ExpectedError')
    })
    const packs = usePacksStore()
    await packs.load()
    expect(packs.items).toBeNull()
    expect(packs.blocker).toBe('The model packs could not be listed: the engine is not running')
  })
})
