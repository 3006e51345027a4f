import { defineStore } from 'pinia'
import { computed, ref, shallowRef } from 'vue'
import type { SegmentMaskValue } from '../../../src-preload/contract'
import { ExpectedError, TransportError, describeError, isCancellation } from '../api'
import type { SegmentPrompt } from '../canvas/prompt-draft'
import { useSessionStore } from './session'

/** The engine's answer to one prompt, as the canvas and the status bar show it. */
export interface PromptPreview {
  /** Sequence number of the request it answers. */
  readonly seq: number
  readonly imageId: number
  readonly prompt: SegmentPrompt
  readonly mask: SegmentMaskValue
  /** Round trip of the request as the renderer saw it (the engine's own time is in `mask.timings`). */
  readonly latencyMs: number
}

/** The engine's name for the mask about to be named (`engine:suggestName`), offered in the name prompt. */
export interface NameSuggestion {
  /** Sequence number of the prompt whose mask it names. */
  readonly seq: number
  readonly name: string
  readonly score: number
}

/** Why the last prompt got no mask, in words for the user. */
export interface PromptFailure {
  readonly code: string
  readonly message: string
  /** The engine is down or not there: the box and point tools cannot work until it is back. */
  readonly engineDown: boolean
}

/** Error codes that mean "no engine to ask", as opposed to a problem with this prompt or image. */
const ENGINE_DOWN_CODES: ReadonlySet<string> = new Set(['ENGINE_UNAVAILABLE', 'ENGINE_CRASHED'])

/** The failure of a prompt request, phrased for the status bar and the notice. */
export function promptFailureOf(error: unknown): PromptFailure {
  if (error instanceof ExpectedError) {
    const engineDown = ENGINE_DOWN_CODES.has(error.code)
    return {
      code: error.code,
      engineDown,
      message: engineDown ? `The engine is not available (${error.message}). The polygon tool (P) still works.` : error.message
    }
  }
  if (error instanceof TransportError) return { code: error.code, engineDown: false, message: error.message }
  return { code: 'INTERNAL', engineDown: false, message: describeError(error) }
}

/**
 * The box/point prompt sent to the engine and the mask it proposes. Every request gets a sequence
 * number; an answer is shown only if it is newer than what is on screen, so a slow answer to an older
 * prompt never replaces the mask of a newer one, and nothing comes back after `clear`.
 */
export const usePromptStore = defineStore('prompt', () => {
  const session = useSessionStore()
  const preview = shallowRef<PromptPreview | null>(null)
  const failure = shallowRef<PromptFailure | null>(null)
  const suggestion = shallowRef<NameSuggestion | null>(null)
  /** Sequence number of the newest request sent. */
  const issued = ref(0)
  /** Sequence number of the newest request whose answer (or failure) is on screen, or of the last clear. */
  const shown = ref(0)
  const inFlight = new Set<Promise<void>>()

  /** A newer prompt than the one on screen is waiting for its answer. */
  const pending = computed(() => issued.value > shown.value)

  /** Asks the engine for the mask of a prompt on an image; returns the request's sequence number. */
  function request(imageId: number, prompt: SegmentPrompt): number {
    const seq = ++issued.value
    const started = performance.now()
    const work = session
      .requireApi()
      .invoke('engine:segment', { imageId, ...prompt })
      .then(
        (mask) => {
          if (seq <= shown.value) return
          shown.value = seq
          preview.value = { seq, imageId, prompt, mask, latencyMs: performance.now() - started }
          failure.value = null
        },
        (error: unknown) => {
          if (seq <= shown.value || isCancellation(error)) return
          shown.value = seq
          preview.value = null
          failure.value = promptFailureOf(error)
        }
      )
      .finally(() => inFlight.delete(work))
    inFlight.add(work)
    return seq
  }

  /** Drops the preview and every answer still on its way (the prompt was emptied or the image changed). */
  function clear(): void {
    shown.value = issued.value
    preview.value = null
    failure.value = null
    suggestion.value = null
  }

  /** Resolves when every request sent so far has been answered. */
  async function settled(): Promise<void> {
    while (inFlight.size > 0) await Promise.allSettled([...inFlight])
  }

  /**
   * The mask to store for the newest prompt on an image, once its answer is in: null when that prompt
   * failed, selected nothing, or was for another image (the reason is then in `failure`).
   */
  async function maskToSave(imageId: number): Promise<PromptPreview | null> {
    await settled()
    const current = preview.value
    if (!current || current.seq !== issued.value || current.imageId !== imageId || current.mask.area === 0) return null
    return current
  }

  /**
   * Asks ROSE what the newest prompt's mask is, once that mask is in, for the name prompt to offer.
   * Never throws and never waits for the user: without a usable pack there is simply no suggestion,
   * and an answer for a mask that is no longer the newest is dropped.
   */
  async function suggestName(imageId: number): Promise<void> {
    suggestion.value = null
    const answer = await maskToSave(imageId)
    if (!answer) return
    try {
      const named = await session.requireApi().invoke('engine:suggestName', { imageId, rle: { size: [answer.mask.rle.size[0], answer.mask.rle.size[1]], counts: answer.mask.rle.counts } })
      const name = named.name.trim()
      if (name !== '' && issued.value === answer.seq && preview.value?.seq === answer.seq) suggestion.value = { seq: answer.seq, name, score: named.score }
    } catch (error) {
      if (!(error instanceof ExpectedError) && !isCancellation(error)) console.warn('[prompt] name suggestion failed', error)
    }
  }

  return { preview, failure, suggestion, issued, shown, pending, request, clear, settled, maskToSave, suggestName }
})
