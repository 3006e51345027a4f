// @vitest-environment happy-dom
import { createPinia, setActivePinia } from 'pinia'
import { beforeEach, describe, expect, test } from 'vitest'
import type { ProposedMaskValue, RequestOf, SegmentMaskValue } from '../../../src-preload/contract'
import { ExpectedError } from '../../../src-renderer/src/api'
import { usePromptStore } from '../../../src-renderer/src/stores/prompt'
import { useSessionStore } from '../../../src-renderer/src/stores/session'
import { FakeApi } from '../fake-api'

function mask(area: number): SegmentMaskValue {
  return {
    rle: { size: [100, 100], counts: `mask-${area}` },
    bbox: [0, 0, 10, 10],
    area,
    score: 0.9,
    timings: { embeddingMs: 0, decoderMs: 40, postprocessMs: 1, totalMs: 42 }
  }
}

/** Each engine:segment call waits until the test answers it, so answers can arrive in any order. */
let gates: { request: RequestOf<'engine:segment'>; resolve: (m: SegmentMaskValue) => void; reject: (e: Error) => void }[]
let api: FakeApi

beforeEach(() => {
  setActivePinia(createPinia())
  gates = []
  api = new FakeApi().handle(
    'engine:segment',
    (request) => new Promise<SegmentMaskValue>((resolve, reject) => gates.push({ request, resolve, reject }))
  )
  useSessionStore().attach(api)
})

/** Lets the answered promises run their handlers. */
async function flush(): Promise<void> {
  for (let i = 0; i < 5; i++) await Promise.resolve()
}

describe('usePromptStore', () => {
  test('sends the image id with the prompt, negative points included', () => {
    const prompt = usePromptStore()
    prompt.request(7, { box: [1, 2, 30, 40], points: [{ x: 5, y: 6, positive: false }] })
    expect(api.requests('engine:segment')).toEqual([{ imageId: 7, box: [1, 2, 30, 40], points: [{ x: 5, y: 6, positive: false }] }])
  })

  test('an answer overtaken by a newer one never replaces the newer preview', async () => {
    const prompt = usePromptStore()
    prompt.request(1, { box: [0, 0, 10, 10] })
    prompt.request(1, { box: [0, 0, 10, 10], points: [{ x: 1, y: 1, positive: true }] })
    expect(prompt.pending).toBe(true)
    gates[1]!.resolve(mask(200))
    await flush()
    expect(prompt.preview?.seq).toBe(2)
    expect(prompt.pending).toBe(false)
    gates[0]!.resolve(mask(100))
    await flush()
    expect(prompt.preview?.mask.area).toBe(200)
    expect(prompt.preview?.prompt).toEqual({ box: [0, 0, 10, 10], points: [{ x: 1, y: 1, positive: true }] })
  })

  test('answers arriving in order are each shown, the screen following the prompt as it is refined', async () => {
    const prompt = usePromptStore()
    prompt.request(1, { box: [0, 0, 10, 10] })
    prompt.request(1, { points: [{ x: 1, y: 1, positive: true }] })
    gates[0]!.resolve(mask(100))
    await flush()
    expect(prompt.preview?.mask.area).toBe(100)
    expect(prompt.pending).toBe(true)
    gates[1]!.resolve(mask(150))
    await flush()
    expect(prompt.preview?.mask.area).toBe(150)
  })

  test('a failure of an older request after a newer answer is ignored; a failure of the newest is shown', async () => {
    const prompt = usePromptStore()
    prompt.request(1, { box: [0, 0, 10, 10] })
    prompt.request(1, { box: [0, 0, 20, 20] })
    gates[1]!.resolve(mask(400))
    gates[0]!.reject(new ExpectedError('INVALID_ARGUMENT', 'box: outside the image', 'InvalidArgumentError'))
    await flush()
    expect(prompt.failure).toBeNull()
    expect(prompt.preview?.mask.area).toBe(400)
    prompt.request(1, { box: [0, 0, 30, 30] })
    gates[2]!.reject(new ExpectedError('ENGINE_UNAVAILABLE', 'the engine process keeps crashing and is stopped; restart it', 'EngineUnavailableError'))
    await flush()
    expect(prompt.preview).toBeNull()
    expect(prompt.failure).toEqual({
      code: 'ENGINE_UNAVAILABLE',
      engineDown: true,
      message:
        'The engine is not available (the engine process keeps crashing and is stopped; restart it). The polygon tool (P) still works.'
    })
  })

  test('after clear, answers still on their way bring nothing back', async () => {
    const prompt = usePromptStore()
    prompt.request(1, { box: [0, 0, 10, 10] })
    prompt.clear()
    expect(prompt.pending).toBe(false)
    gates[0]!.resolve(mask(100))
    await flush()
    expect(prompt.preview).toBeNull()
  })

  test('the mask to save waits for the newest answer and belongs to the newest prompt on that image', async () => {
    const prompt = usePromptStore()
    prompt.request(1, { box: [0, 0, 10, 10] })
    prompt.request(1, { points: [{ x: 3, y: 3, positive: true }] })
    gates[0]!.resolve(mask(100))
    const saving = prompt.maskToSave(1)
    await flush()
    gates[1]!.resolve(mask(120))
    expect((await saving)?.mask.area).toBe(120)
    expect(await prompt.maskToSave(2)).toBeNull()
    prompt.request(1, { box: [50, 50, 1, 1] })
    gates[2]!.resolve(mask(0))
    expect(await prompt.maskToSave(1)).toBeNull()
  })

  test('names the newest mask once its answer is in, asking with that mask', async () => {
    const named: RequestOf<'engine:suggestName'>[] = []
    api.handle('engine:suggestName', (request) => {
      named.push(request)
      return { ...proposedName('red circle'), rle: request.rle! }
    })
    const prompt = usePromptStore()
    prompt.request(1, { box: [0, 0, 10, 10] })
    const suggesting = prompt.suggestName(1)
    gates[0]!.resolve(mask(100))
    await suggesting
    expect(named).toEqual([{ imageId: 1, rle: { size: [100, 100], counts: 'mask-100' } }])
    expect(prompt.suggestion).toEqual({ seq: 1, name: 'red circle', score: 0.8 })
    prompt.clear()
    expect(prompt.suggestion).toBeNull()
  })

  test('a name for a mask that a newer prompt replaced is dropped', async () => {
    const held: { answer?: (name: string) => void } = {}
    api.handle('engine:suggestName', () => new Promise((resolve) => (held.answer = (name) => resolve(proposedName(name)))))
    const prompt = usePromptStore()
    prompt.request(1, { box: [0, 0, 10, 10] })
    gates[0]!.resolve(mask(100))
    const suggesting = prompt.suggestName(1)
    while (!held.answer) await flush()
    // The user refines the prompt while the name is being worked out.
    prompt.request(1, { box: [0, 0, 20, 20] })
    held.answer('old name')
    await suggesting
    expect(prompt.suggestion).toBeNull()
  })

  test('EXPECTED FAILURE – without a usable pack there is simply no suggestion', async () => {
    api.handle('engine:suggestName', () => {
      throw new ExpectedError('NO_MODEL_PACK', 'no usable model pack is installed', 'ExpectedError')
    })
    const prompt = usePromptStore()
    prompt.request(1, { box: [0, 0, 10, 10] })
    gates[0]!.resolve(mask(100))
    await expect(prompt.suggestName(1)).resolves.toBeUndefined()
    expect(prompt.suggestion).toBeNull()
  })
})

function proposedName(name: string): ProposedMaskValue {
  return {
    rle: { size: [100, 100], counts: 'x' },
    bbox: [0, 0, 10, 10],
    area: 100,
    name,
    score: 0.8,
    patch: 3,
    role: 'small',
    pack: 'rose-tiny@1.0.0',
    prompt: '…',
    timings: { totalMs: 9, modelMs: 8 }
  }
}
