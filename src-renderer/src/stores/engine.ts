import { defineStore } from 'pinia'
import { computed, ref, shallowRef } from 'vue'
import type { DeviceSettingValue, EngineStatusValue } from '../../../src-preload/contract'
import { ExpectedError } from '../api'
import { useSessionStore } from './session'

/**
 * How long an opened image must stay open before its embedding is asked for. Skimming with a held A/D
 * opens many images a second; each `engine:prepare` is foreground work in the host that cannot be
 * recalled, so only the image the user stops on is encoded.
 */
export const PREPARE_DELAY_MS = 250

/** Engine states in which a call cannot be answered until the user does something. */
const DEAD_STATES: ReadonlySet<EngineStatusValue['state']> = new Set(['unavailable', 'failed', 'disposed'])

/** The engine process as the status bar and the engine panel show it, and the calls that steer it. */
export const useEngineStore = defineStore('engine', () => {
  const session = useSessionStore()
  const status = shallowRef<EngineStatusValue | null>(null)
  const busy = shallowRef<'device' | 'restart' | null>(null)
  /** Bumped each time the engine becomes ready (first start, restart, recovery from a crash): it holds no embeddings then. */
  const readyCount = ref(0)
  let prepareTimer: ReturnType<typeof setTimeout> | null = null
  let prepared: number | null = null

  /** True when the engine answers prompts now. */
  const ready = computed(() => status.value?.state === 'ready')

  // Every status goes through here, whether main pushed it or answered a call: events and answers race,
  // and a transition to ready must be seen once whichever comes first.
  function adopt(next: EngineStatusValue, fresh = false): void {
    const wasReady = status.value?.state === 'ready'
    status.value = next
    if (next.state !== 'ready') prepared = null
    else if (!wasReady || fresh) {
      prepared = null
      readyCount.value += 1
    }
  }

  /** Reloads the status from main. */
  async function load(): Promise<void> {
    adopt(await session.requireApi().invoke('engine:status', {}))
  }

  /** Adopts a status main pushed (`engine:status` event). */
  function onStatus(next: EngineStatusValue): void {
    adopt(next)
  }

  /** Switches the device setting; the engine recreates its sessions on the new device. */
  async function setDevice(device: DeviceSettingValue): Promise<void> {
    busy.value = 'device'
    try {
      adopt(await session.requireApi().invoke('engine:setDevice', { device }))
    } finally {
      busy.value = null
    }
  }

  /** Restarts the engine process (also after it gave up on repeated crashes). */
  async function restart(): Promise<void> {
    busy.value = 'restart'
    prepared = null
    try {
      // A new process even if no event showed it stopping: its embeddings are gone either way.
      adopt(await session.requireApi().invoke('engine:restart', {}), true)
    } finally {
      busy.value = null
    }
  }

  /**
   * Asks the engine to compute an image's embedding (and the next images' in the background) once the
   * image has stayed open for PREPARE_DELAY_MS, so a box drawn on it answers at decoder speed. Quiet:
   * an engine that is down says so in the status bar, and the prompt tools say so when used.
   */
  function prepareSoon(imageId: number, nextImageIds: () => Promise<readonly number[]>): void {
    cancelPrepare()
    if (prepared === imageId || (status.value && DEAD_STATES.has(status.value.state))) return
    prepareTimer = setTimeout(async () => {
      prepareTimer = null
      try {
        const next = await nextImageIds()
        prepared = imageId
        await session.requireApi().invoke('engine:prepare', { imageId, nextImageIds: [...next] })
        // The first embedding loads the encoder's session: the status now knows its providers.
        if (status.value && status.value.graphs.length === 0) await load()
      } catch (error) {
        if (prepared === imageId) prepared = null
        if (!(error instanceof ExpectedError)) console.warn('[engine] prepare failed', error)
      }
    }, PREPARE_DELAY_MS)
  }

  /** Drops a prepare that has not been sent yet. */
  function cancelPrepare(): void {
    if (prepareTimer) clearTimeout(prepareTimer)
    prepareTimer = null
  }

  return { status, busy, readyCount, ready, load, onStatus, setDevice, restart, prepareSoon, cancelPrepare }
})
