import type { EngineStatusValue } from '../../../src-preload/contract'
import { assertNever } from '../canvas/mode'
import type { PromptFailure, PromptPreview } from '../stores/prompt'

/** How a status-bar item is coloured: working, working without the GPU, in between, or down. */
export type Tone = 'ok' | 'info' | 'warn' | 'bad'

/** A status-bar item: its text, colour and tooltip. */
export interface StatusBadge {
  readonly tone: Tone
  readonly text: string
  readonly title: string
}

/** The device the engine runs on, in words: from the loaded graphs, else from the setting and CUDA's state. */
export function engineDevice(status: EngineStatusValue): 'CUDA' | 'CPU' | 'CUDA + CPU' {
  const devices = new Set(status.graphs.map((g) => g.device.toLowerCase()))
  if (devices.size > 0) {
    if (devices.has('cuda')) return devices.size > 1 ? 'CUDA + CPU' : 'CUDA'
    return 'CPU'
  }
  return status.setting !== 'cpu' && status.cuda.available ? 'CUDA' : 'CPU'
}

/** Why CUDA is not used, in one line, or null when it is used or was turned off on purpose. */
export function cudaNote(status: EngineStatusValue): string | null {
  if (status.cuda.available || status.cuda.kind === 'disabled') return null
  return status.cuda.reason
}

/** The status-bar item for the engine: `Engine · CUDA`, `Engine · CPU`, `Engine starting…`, `Engine stopped`. */
export function engineBadge(status: EngineStatusValue | null): StatusBadge {
  if (!status) return { tone: 'warn', text: 'Engine…', title: 'Asking the engine for its status' }
  const why = status.message ?? ''
  switch (status.state) {
    case 'ready': {
      const device = engineDevice(status)
      const note = device === 'CPU' ? cudaNote(status) : null
      const title = [`The engine runs on ${device === 'CPU' ? 'the CPU' : device}.`, note].filter(Boolean).join(' ')
      return { tone: device === 'CPU' ? 'info' : 'ok', text: `Engine · ${device}`, title }
    }
    case 'starting':
      return { tone: 'warn', text: 'Engine starting…', title: why || 'The engine process is starting' }
    case 'restarting':
      return { tone: 'warn', text: 'Engine restarting…', title: why || 'The engine process is restarting' }
    case 'stopped':
    case 'failed':
    case 'disposed':
      return { tone: 'bad', text: 'Engine stopped', title: why || 'The engine process is not running' }
    case 'unavailable':
      return { tone: 'bad', text: 'No engine', title: why || 'This app runs without an engine process' }
    default:
      return assertNever(status.state)
  }
}

/** The engine's state in a word or two, for the panel's header: `Ready · CPU`, `Starting…`, `Stopped`. */
export function engineStateLabel(status: EngineStatusValue | null): string {
  if (!status) return 'Asking…'
  switch (status.state) {
    case 'ready':
      return `Ready · ${engineDevice(status)}`
    case 'starting':
      return 'Starting…'
    case 'restarting':
      return 'Restarting…'
    case 'stopped':
    case 'disposed':
      return 'Stopped'
    case 'failed':
      return 'Stopped after repeated crashes'
    case 'unavailable':
      return 'Not available'
    default:
      return assertNever(status.state)
  }
}

/** Milliseconds as the status bar shows them: `148 ms`, `1.6 s`. */
export function formatMs(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`
}

/**
 * The status-bar item for the box/point prompt: latency and score of the mask on screen (`SAM 152 ms ·
 * 0.97`), `SAM …` while a newer prompt is out, the failure when the last one got none; null when idle.
 */
export function promptBadge(preview: PromptPreview | null, pending: boolean, failure: PromptFailure | null): StatusBadge | null {
  if (failure && !pending) {
    return { tone: 'bad', text: failure.engineDown ? 'SAM · engine unavailable' : 'SAM · failed', title: failure.message }
  }
  if (!preview) return pending ? { tone: 'warn', text: 'SAM …', title: 'Waiting for the engine' } : null
  const { timings, score, area } = preview.mask
  const title =
    `Round trip ${formatMs(preview.latencyMs)}; engine ${formatMs(timings.totalMs)} ` +
    `(embedding ${formatMs(timings.embeddingMs)}, decoder ${formatMs(timings.decoderMs)}, postprocess ${formatMs(timings.postprocessMs)}); ` +
    `predicted IoU ${score.toFixed(3)}; ${area.toLocaleString()} px`
  const text = area === 0 ? `SAM ${formatMs(preview.latencyMs)} · empty` : `SAM ${formatMs(preview.latencyMs)} · ${score.toFixed(2)}`
  return { tone: pending ? 'warn' : area === 0 ? 'bad' : 'info', text: pending ? `${text} …` : text, title }
}
