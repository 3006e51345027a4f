import { defineStore } from 'pinia'
import { computed, ref, shallowRef } from 'vue'
import type { EngineStatusValue, ModelPackInfoValue } from '../../../src-preload/contract'
import { describeError } from '../api'
import { assertNever } from '../canvas/mode'
import { useEngineStore } from './engine'
import { useSessionStore } from './session'

/**
 * Why ROSE (auto-annotation, text corrections, name suggestions) cannot work now, in one sentence for
 * the user; null when nothing is known to stand in the way. `packs` is null while the list is unknown
 * (then main decides, and says why if it refuses).
 */
export function roseBlocker(
  status: EngineStatusValue | null,
  packs: readonly ModelPackInfoValue[] | null,
  listError: string | null
): string | null {
  if (status) {
    const why = status.message ? ` (${status.message})` : ''
    switch (status.state) {
      case 'ready':
        break
      case 'starting':
      case 'restarting':
        return 'The engine is starting; the model can be used once it is ready.'
      case 'unavailable':
        return `The model needs the engine, and this app runs without one${why}. Manual annotation still works.`
      case 'stopped':
      case 'failed':
      case 'disposed':
        return `The engine is not running${why}. Restart it from the engine panel (status bar); manual annotation still works.`
      default:
        return assertNever(status.state)
    }
  }
  if (!packs) return listError ? `The model packs could not be listed: ${listError}` : null
  if (packs.length === 0) {
    return 'No model pack is installed. Copy a ROSE pack folder into the models folder (<user data>/models, or ROSE_PACKS_DIR in serve mode); manual annotation still works.'
  }
  if (!packs.some((p) => p.state === 'ok')) {
    const first = packs[0]!
    const others = packs.length > 1 ? ` (and ${packs.length - 1} more)` : ''
    return `No installed model pack is usable: ${first.id} is broken${others}: ${first.error?.message ?? 'no reason given'}. See the engine panel.`
  }
  return null
}

/** Held-out figures worth a glance, in this order, as the trainer names them in the manifest. */
const METRIC_LABELS: readonly (readonly [string, string])[] = [
  ['recall_at_0.5', 'recall@0.5'],
  ['precision_at_0.5', 'precision@0.5'],
  ['name_exact_match', 'names'],
  ['mask_ap', 'mask AP'],
  ['mask_ap50', 'mask AP50'],
  ['box_prompt_miou', 'box mIoU']
]

/** A pack's headline metrics as label/value pairs (`recall@0.5 0.82`); other numbers when none of the known ones are there. */
export function packMetrics(metrics: ModelPackInfoValue['metrics']): { label: string; value: string }[] {
  if (!metrics) return []
  const format = (v: number): string => (Number.isInteger(v) ? v.toLocaleString() : v.toFixed(3))
  const known = METRIC_LABELS.filter(([key]) => typeof metrics[key] === 'number').map(([key, label]) => ({
    label,
    value: format(metrics[key] as number)
  }))
  if (known.length > 0) return known
  return Object.entries(metrics)
    .filter((entry): entry is [string, number] => typeof entry[1] === 'number')
    .slice(0, 6)
    .map(([label, value]) => ({ label, value: format(value) }))
}

/** The installed model packs (bundled and the user's), the active one, and switching between them. */
export const usePacksStore = defineStore('packs', () => {
  const session = useSessionStore()
  const engine = useEngineStore()
  /** Null until listed (or while the engine cannot list them). */
  const items = shallowRef<readonly ModelPackInfoValue[] | null>(null)
  const listError = ref<string | null>(null)
  /** The pack being activated, if any. */
  const activating = ref<string | null>(null)
  let loadSeq = 0

  const active = computed(() => items.value?.find((p) => p.active) ?? null)
  /** Why the model cannot be used now (see `roseBlocker`). */
  const blocker = computed(() => roseBlocker(engine.status, items.value, listError.value))

  /** Lists the packs again; a failure is kept as the reason (the engine may be down), not thrown. */
  async function load(): Promise<void> {
    const seq = ++loadSeq
    try {
      const list = await session.requireApi().invoke('engine:packs', {})
      if (seq !== loadSeq) return
      items.value = list
      listError.value = null
    } catch (error) {
      if (seq !== loadSeq) return
      items.value = null
      listError.value = describeError(error)
    }
  }

  /** Makes a pack active (no restart); the engine checks every file and graph first, so this may take a moment. */
  async function activate(id: string): Promise<ModelPackInfoValue> {
    activating.value = id
    try {
      const pack = await session.requireApi().invoke('engine:activatePack', { id })
      await Promise.all([load(), engine.load()])
      return pack
    } finally {
      activating.value = null
    }
  }

  return { items, listError, activating, active, blocker, load, activate }
})
