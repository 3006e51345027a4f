// @vitest-environment happy-dom
import { createPinia, setActivePinia } from 'pinia'
import { beforeEach, describe, expect, test } from 'vitest'
import type { EngineStatusValue, InstanceValue, ModelPackInfoValue, ProposedMaskValue, RequestOf } from '../../../src-preload/contract'
import { ExpectedError } from '../../../src-renderer/src/api'
import { useEngineStore } from '../../../src-renderer/src/stores/engine'
import { useInstancesStore } from '../../../src-renderer/src/stores/instances'
import { usePacksStore } from '../../../src-renderer/src/stores/packs'
import { nameToStore, parseCommand, refineCall, useRefineStore, type RefineTarget } from '../../../src-renderer/src/stores/refine'
import { useSessionStore } from '../../../src-renderer/src/stores/session'
import { FakeApi } from '../fake-api'

const ON_INSTANCE: RefineTarget = { kind: 'instance', imageId: 1, instanceId: 10, name: 'dog' }

function instance(id: number, categoryText: string): InstanceValue {
  return {
    id,
    imageId: 1,
    rle: { size: [10, 10], counts: `old-${id}` },
    bbox: [0, 0, 2, 2],
    area: 4,
    categoryText,
    categoryId: 1,
    score: 0.8,
    status: 'proposed',
    source: 'model',
    modelVersion: 'rose-tiny@1.0.0',
    createdAt: 't',
    updatedAt: 't'
  }
}

function proposed(name: string, counts: string, area = 12): ProposedMaskValue {
  return {
    rle: { size: [10, 10], counts },
    bbox: [1, 1, 3, 4],
    area,
    name,
    score: 0.73,
    patch: 5,
    role: 'small',
    pack: 'rose-tiny@1.0.0',
    prompt: '…',
    timings: { totalMs: 30, modelMs: 25 }
  }
}

const READY: EngineStatusValue = {
  state: 'ready',
  message: null,
  pid: 1,
  setting: 'auto',
  cuda: { available: false, kind: 'no-driver', reason: 'none', fix: null, error: null },
  graphs: [],
  segmenter: null,
  activePack: 'rose-tiny@1.0.0',
  queue: null
}

const PACK: ModelPackInfoValue = {
  id: 'rose-tiny@1.0.0',
  name: 'rose-tiny',
  version: '1.0.0',
  description: '',
  dir: '/packs/rose-tiny',
  source: 'bundled',
  state: 'ok',
  error: null,
  active: true,
  metrics: null,
      parent: null,
  created: 't'
}

/** Each engine call waits until the test answers it, so answers can arrive in any order. */
let gates: { channel: string; request: unknown; resolve: (m: ProposedMaskValue) => void; reject: (e: Error) => void }[]
let api: FakeApi
let packs: ModelPackInfoValue[]

function gate<C extends 'engine:refine' | 'engine:refer'>(channel: C) {
  return (request: RequestOf<C>) => new Promise<ProposedMaskValue>((resolve, reject) => gates.push({ channel, request, resolve, reject }))
}

async function flush(): Promise<void> {
  for (let i = 0; i < 10; i++) await Promise.resolve()
}

beforeEach(async () => {
  setActivePinia(createPinia())
  gates = []
  packs = [PACK]
  api = new FakeApi()
    .handle('instances:list', () => [instance(10, 'dog'), instance(11, 'cat')])
    .handle('engine:refine', gate('engine:refine'))
    .handle('engine:refer', gate('engine:refer'))
    .handle('engine:packs', () => packs)
    .handle('engine:status', () => READY)
    .handle('categories:list', () => [])
    .handle('instances:replaceMask', ({ id, rle, categoryText }) => ({ ...instance(id, categoryText ?? 'dog'), rle, source: 'refined', status: 'accepted' }))
    .handle('instances:update', ({ id, categoryText }) => ({ ...instance(id, categoryText ?? 'dog'), status: 'accepted' }))
    .handle('instances:createFromMask', ({ rle, categoryText, source }) => ({ ...instance(99, categoryText), rle, source: source ?? 'human', status: 'accepted' }))
  useSessionStore().attach(api)
  useEngineStore().onStatus(READY)
  await usePacksStore().load()
  await useInstancesStore().load(1)
})

describe('parseCommand', () => {
  test('nothing, "fix the mask" or anything about the mask asks for a better mask', () => {
    for (const text of ['', '  ', 'fix the mask', 'Refine', 'the mask is incomplete', 'please complete it']) {
      expect(parseCommand(text, ON_INSTANCE)).toEqual({ kind: 'mask' })
    }
  })

  test('"it is a …" says the name is wrong, with the right name when one follows', () => {
    expect(parseCommand('it is a golden retriever', ON_INSTANCE)).toEqual({ kind: 'category', name: 'golden retriever' })
    expect(parseCommand("No, it's an apple.", ON_INSTANCE)).toEqual({ kind: 'category', name: 'apple' })
    expect(parseCommand('this is the sky', ON_INSTANCE)).toEqual({ kind: 'category', name: 'sky' })
    expect(parseCommand('it is a …', ON_INSTANCE)).toEqual({ kind: 'category', name: null })
    expect(parseCommand('it is a ', ON_INSTANCE)).toEqual({ kind: 'category', name: null })
    expect(parseCommand('suggest a name', ON_INSTANCE)).toEqual({ kind: 'category', name: null })
  })

  test('a bare word on an instance is read as its right name', () => {
    expect(parseCommand('wolf', ON_INSTANCE)).toEqual({ kind: 'category', name: 'wolf' })
  })

  test('a missed object is looked for in its box (the text names it), or referred to by its description', () => {
    expect(parseCommand('', { kind: 'missed', imageId: 1, box: [1, 2, 3, 4] })).toEqual({ kind: 'missed', box: [1, 2, 3, 4], name: null })
    expect(parseCommand(' red kite ', { kind: 'missed', imageId: 1, box: [1, 2, 3, 4] })).toEqual({ kind: 'missed', box: [1, 2, 3, 4], name: 'red kite' })
    expect(parseCommand('the small blue circle', { kind: 'missed', imageId: 1, box: null })).toEqual({ kind: 'refer', description: 'the small blue circle' })
  })

  test('EXPECTED FAILURE – a missed object with neither box nor description says what to do', () => {
    expect(parseCommand('  ', { kind: 'missed', imageId: 1, box: null })).toEqual({
      kind: 'invalid',
      message: 'Drag a box around the missed object, or describe it (e.g. “the small blue circle”).'
    })
  })
})

describe('refineCall and nameToStore', () => {
  test('each command becomes its engine request; the wrong name is left for main to take from the instance', () => {
    expect(refineCall({ kind: 'mask' }, ON_INSTANCE)).toEqual({ channel: 'engine:refine', request: { imageId: 1, situation: 'mask', instanceId: 10 } })
    expect(refineCall({ kind: 'category', name: 'wolf' }, ON_INSTANCE)).toEqual({
      channel: 'engine:refine',
      request: { imageId: 1, situation: 'category', instanceId: 10 }
    })
    expect(refineCall({ kind: 'missed', box: [5, 6, 7, 8], name: null }, { kind: 'missed', imageId: 2, box: [5, 6, 7, 8] })).toEqual({
      channel: 'engine:refine',
      request: { imageId: 2, situation: 'missed', box: [5, 6, 7, 8] }
    })
    expect(refineCall({ kind: 'refer', description: 'the kite' }, { kind: 'missed', imageId: 2, box: null })).toEqual({
      channel: 'engine:refer',
      request: { imageId: 2, description: 'the kite' }
    })
  })

  test('the stored name is the typed one, the instance\'s own for a mask fix, else the model\'s (or "object")', () => {
    const answer = proposed('wolf', 'x')
    expect(nameToStore({ kind: 'category', name: 'husky' }, ON_INSTANCE, answer)).toBe('husky')
    expect(nameToStore({ kind: 'category', name: null }, ON_INSTANCE, answer)).toBe('wolf')
    expect(nameToStore({ kind: 'mask' }, ON_INSTANCE, answer)).toBe('dog')
    expect(nameToStore({ kind: 'refer', description: 'it' }, { kind: 'missed', imageId: 1, box: null }, proposed('  ', 'x'))).toBe('object')
  })
})

describe('useRefineStore', () => {
  test('asks, shows the answer, and a second Enter replaces the instance\'s mask in place as refined and accepted', async () => {
    const refine = useRefineStore()
    refine.open(ON_INSTANCE)
    refine.text = 'fix the mask'
    void refine.submit()
    expect(refine.state.kind).toBe('asking')
    gates[0]!.resolve(proposed('wolf', 'new-mask'))
    await flush()
    expect(refine.state).toMatchObject({ kind: 'preview', name: 'dog', result: { rle: { counts: 'new-mask' } } })

    expect(await refine.submit()).toBe(true)
    expect(api.requests('instances:replaceMask')).toEqual([
      { id: 10, rle: { size: [10, 10], counts: 'new-mask' }, categoryText: 'dog', source: 'refined', status: 'accepted', score: 0.73 }
    ])
    expect(refine.state.kind).toBe('closed')
    expect(useInstancesStore().items.find((i) => i.id === 10)).toMatchObject({ source: 'refined', rle: { counts: 'new-mask' } })
  })

  test('Enter after the text changed asks again instead of accepting the older answer', async () => {
    const refine = useRefineStore()
    refine.open(ON_INSTANCE)
    refine.text = 'it is a'
    void refine.submit()
    gates[0]!.resolve(proposed('wolf', 'm1'))
    await flush()
    refine.text = 'it is a husky'
    void refine.submit()
    expect(api.requests('instances:replaceMask')).toEqual([])
    expect(gates).toHaveLength(2)
    gates[1]!.resolve(proposed('wolf', 'm2'))
    await flush()
    expect(refine.state).toMatchObject({ kind: 'preview', name: 'husky', text: 'it is a husky' })
  })

  test('an answer overtaken by a newer request, or arriving after Esc, is never shown', async () => {
    const refine = useRefineStore()
    refine.open(ON_INSTANCE)
    void refine.ask()
    refine.text = 'it is a cat'
    void refine.ask()
    gates[1]!.resolve(proposed('cat', 'newer'))
    await flush()
    gates[0]!.resolve(proposed('dog', 'older'))
    await flush()
    expect(refine.state).toMatchObject({ kind: 'preview', result: { rle: { counts: 'newer' } } })

    void refine.ask()
    refine.discard()
    gates[2]!.resolve(proposed('cat', 'late'))
    await flush()
    expect(refine.state).toEqual({ kind: 'editing', target: ON_INSTANCE })
  })

  test('Shift+Enter on a category answer renames only, keeping the mask', async () => {
    const refine = useRefineStore()
    refine.open(ON_INSTANCE)
    refine.text = 'it is a husky'
    void refine.ask()
    gates[0]!.resolve(proposed('wolf', 'm'))
    await flush()
    expect(await refine.accept({ nameOnly: true })).toBe(true)
    expect(api.requests('instances:update')).toEqual([{ id: 10, categoryText: 'husky' }])
    expect(api.requests('instances:replaceMask')).toEqual([])
  })

  test('a box drawn with the missed-object tool asks at once; accepting stores a new refined instance and waits for the next box', async () => {
    const refine = useRefineStore()
    refine.open({ kind: 'missed', imageId: 1, box: null })
    refine.text = 'kite'
    refine.setMissedBox([4, 5, 6, 7])
    await flush()
    expect(gates.map((g) => [g.channel, g.request])).toEqual([['engine:refine', { imageId: 1, situation: 'missed', box: [4, 5, 6, 7] }]])
    gates[0]!.resolve(proposed('bird', 'kite-mask'))
    await flush()
    expect(await refine.submit()).toBe(true)
    expect(api.requests('instances:createFromMask')).toEqual([
      { imageId: 1, rle: { size: [10, 10], counts: 'kite-mask' }, categoryText: 'kite', status: 'accepted', source: 'refined', score: 0.73 }
    ])
    expect(refine.state).toEqual({ kind: 'editing', target: { kind: 'missed', imageId: 1, box: null } })
    expect(refine.text).toBe('')
  })

  test('a description without a box is sent for referring', async () => {
    const refine = useRefineStore()
    refine.open({ kind: 'missed', imageId: 1, box: null })
    refine.text = 'the red kite'
    void refine.submit()
    await flush()
    expect(gates.map((g) => [g.channel, g.request])).toEqual([['engine:refer', { imageId: 1, description: 'the red kite' }]])
  })

  test('EXPECTED FAILURE – with no usable pack the field says why and the engine is not asked', async () => {
    packs = [{ ...PACK, state: 'broken', active: false, error: { code: 'PACK_BROKEN', message: 'llm_decoder.onnx: missing', file: 'llm_decoder.onnx', tensor: null, expected: null } }]
    await usePacksStore().load()
    const refine = useRefineStore()
    refine.open(ON_INSTANCE)
    await refine.ask()
    expect(gates).toEqual([])
    expect(refine.state).toMatchObject({
      kind: 'failed',
      message: 'No installed model pack is usable: rose-tiny@1.0.0 is broken: llm_decoder.onnx: missing. See the engine panel.'
    })
  })

  test('EXPECTED FAILURE – an engine that went away is named as such', async () => {
    const refine = useRefineStore()
    refine.open(ON_INSTANCE)
    const asked = refine.ask()
    await flush()
    gates[0]!.reject(new ExpectedError('ENGINE_UNAVAILABLE', 'the engine process exited', 'ExpectedError'))
    await asked
    expect(refine.state).toMatchObject({ kind: 'failed', message: 'The engine is not available (the engine process exited).' })
  })

  test('EXPECTED FAILURE – an empty answer is not stored', async () => {
    const refine = useRefineStore()
    refine.open(ON_INSTANCE)
    void refine.ask()
    gates[0]!.resolve(proposed('dog', 'empty', 0))
    await flush()
    expect(await refine.accept()).toBe(false)
    expect(api.requests('instances:replaceMask')).toEqual([])
    expect(refine.state.kind).toBe('preview')
  })

  test('selecting another instance moves the correction to it; its deletion closes it', async () => {
    const refine = useRefineStore()
    const instances = useInstancesStore()
    refine.open(ON_INSTANCE)
    instances.select(11)
    await flush()
    expect(refine.state).toEqual({ kind: 'editing', target: { kind: 'instance', imageId: 1, instanceId: 11, name: 'cat' } })
    api.handle('instances:delete', () => ({ deleted: 1 }))
    await instances.remove([11])
    await flush()
    expect(refine.state.kind).toBe('closed')
  })
})
