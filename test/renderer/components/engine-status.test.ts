import { describe, expect, test } from 'vitest'
import type { EngineStatusValue, SegmentMaskValue } from '../../../src-preload/contract'
import { engineBadge, engineDevice, engineStateLabel, formatMs, promptBadge } from '../../../src-renderer/src/components/engine-status'
import type { PromptPreview } from '../../../src-renderer/src/stores/prompt'

const NO_DRIVER = {
  available: false,
  kind: 'no-driver',
  reason: 'No NVIDIA driver is loaded.',
  fix: 'Install the NVIDIA driver, then run `npm run gpu:setup`.',
  error: null
}

function status(patch: Partial<EngineStatusValue> = {}): EngineStatusValue {
  return {
    state: 'ready',
    message: null,
    pid: 4242,
    setting: 'auto',
    cuda: NO_DRIVER,
    graphs: [
      { graph: 'sam-encoder', file: '/m/encoder.onnx', device: 'cpu', providers: ['cpu'] },
      { graph: 'sam-decoder', file: '/m/sam.onnx', device: 'cpu', providers: ['cpu'] }
    ],
    segmenter: { encoder: '/m/encoder.onnx', decoder: '/m/sam.onnx', cachedImages: 1 },
    queue: { running: 0, queued: 0 },
    ...patch
  }
}

describe('engine status formatting', () => {
  test('a ready engine on the CPU says so and carries the reason CUDA is not used in its tooltip', () => {
    expect(engineBadge(status())).toEqual({
      tone: 'info',
      text: 'Engine · CPU',
      title: 'The engine runs on the CPU. No NVIDIA driver is loaded.'
    })
  })

  test('the device comes from the loaded graphs: CUDA, or CUDA + CPU when some graphs fell back', () => {
    const cuda = { available: true, kind: null, reason: null, fix: null, error: null }
    const onCuda = status({ cuda, graphs: [{ graph: 'sam-encoder', file: 'e', device: 'cuda', providers: ['cuda', 'cpu'] }] })
    expect(engineBadge(onCuda)).toMatchObject({ tone: 'ok', text: 'Engine · CUDA' })
    const mixed = status({ cuda, graphs: [...onCuda.graphs, { graph: 'sam-decoder', file: 'd', device: 'cpu', providers: ['cpu'] }] })
    expect(engineDevice(mixed)).toBe('CUDA + CPU')
    // Before any graph is loaded: what the setting and CUDA's state will give.
    expect(engineDevice(status({ cuda, graphs: [] }))).toBe('CUDA')
    expect(engineDevice(status({ cuda, graphs: [], setting: 'cpu' }))).toBe('CPU')
  })

  test('a CPU chosen on purpose gives no CUDA complaint', () => {
    const disabled = status({ setting: 'cpu', cuda: { available: false, kind: 'disabled', reason: 'The engine is set to run on the CPU.', fix: null, error: null } })
    expect(engineBadge(disabled).title).toBe('The engine runs on the CPU.')
  })

  test('starting, stopped and missing engines read as such, with the reason as tooltip', () => {
    expect(engineBadge(status({ state: 'starting', message: 'the engine is starting', graphs: [] }))).toEqual({
      tone: 'warn',
      text: 'Engine starting…',
      title: 'the engine is starting'
    })
    expect(engineBadge(status({ state: 'failed', message: 'the engine process crashed 6 times in a row and was stopped' }))).toMatchObject({
      tone: 'bad',
      text: 'Engine stopped'
    })
    expect(engineBadge(status({ state: 'unavailable', message: 'this app was started without an engine process' })).text).toBe('No engine')
    expect(engineBadge(null).text).toBe('Engine…')
    expect(engineStateLabel(status())).toBe('Ready · CPU')
    expect(engineStateLabel(status({ state: 'failed' }))).toBe('Stopped after repeated crashes')
  })
})

describe('prompt status formatting', () => {
  const mask: SegmentMaskValue = {
    rle: { size: [320, 320], counts: 'x' },
    bbox: [140, 133, 84, 84],
    area: 6715,
    score: 0.9764,
    timings: { embeddingMs: 0, decoderMs: 98.2, postprocessMs: 0.4, totalMs: 101.3 }
  }
  const preview: PromptPreview = { seq: 3, imageId: 1, prompt: { box: [140, 133, 84, 84] }, mask, latencyMs: 123.4 }

  test('shows the round trip and the predicted IoU, with the engine breakdown in the tooltip', () => {
    expect(promptBadge(preview, false, null)).toEqual({
      tone: 'info',
      text: 'SAM 123 ms · 0.98',
      title:
        'Round trip 123 ms; engine 101 ms (embedding 0 ms, decoder 98 ms, postprocess 0 ms); predicted IoU 0.976; 6,715 px'
    })
  })

  test('marks a preview being replaced, an empty mask, and an engine that is down', () => {
    expect(promptBadge(preview, true, null)?.text).toBe('SAM 123 ms · 0.98 …')
    expect(promptBadge(null, true, null)?.text).toBe('SAM …')
    expect(promptBadge({ ...preview, mask: { ...mask, area: 0 } }, false, null)).toMatchObject({ tone: 'bad', text: 'SAM 123 ms · empty' })
    expect(promptBadge(null, false, { code: 'ENGINE_UNAVAILABLE', message: 'The engine is not available.', engineDown: true })).toMatchObject({
      tone: 'bad',
      text: 'SAM · engine unavailable'
    })
    expect(promptBadge(null, false, null)).toBeNull()
    expect(formatMs(1560)).toBe('1.6 s')
  })
})
