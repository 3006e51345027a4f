import { defineStore } from 'pinia'
import { computed, ref } from 'vue'
import type { InstanceValue } from '../../../src-preload/contract'
import { useInstancesStore } from './instances'
import { useNotificationsStore } from './notifications'

/** The score threshold offered first: ROSE scores are sigmoid(objectness), so 0.5 is the model's own even odds. */
export const DEFAULT_ACCEPT_THRESHOLD = 0.5

const THRESHOLD_KEY = 'rose:accept-threshold'

/** A threshold as the panel edits it: within [0, 1], to the hundredth (what the number field shows). */
export function clampThreshold(value: number): number {
  if (!Number.isFinite(value)) return DEFAULT_ACCEPT_THRESHOLD
  return Math.round(Math.min(1, Math.max(0, value)) * 100) / 100
}

/** The proposals at or above a score threshold; a proposal without a score is never accepted in bulk. */
export function proposalsAbove(items: readonly InstanceValue[], threshold: number): InstanceValue[] {
  return items.filter((i) => i.status === 'proposed' && i.score !== null && i.score >= threshold)
}

function storedThreshold(): number {
  try {
    const raw = localStorage.getItem(THRESHOLD_KEY)
    return raw === null ? DEFAULT_ACCEPT_THRESHOLD : clampThreshold(Number(raw))
  } catch {
    return DEFAULT_ACCEPT_THRESHOLD
  }
}

/**
 * Review of the open image's proposals in bulk: accept every proposal at or above a score threshold,
 * reject the rest. Each is one `instances:updateMany`, so one step of the project's undo history.
 */
export const useReviewStore = defineStore('review', () => {
  const instances = useInstancesStore()
  const notifications = useNotificationsStore()
  /** Kept across images and reloads: a team settles on one threshold per model. */
  const threshold = ref(storedThreshold())
  const busy = ref(false)

  const proposals = computed(() => instances.items.filter((i) => i.status === 'proposed'))
  const aboveThreshold = computed(() => proposalsAbove(instances.items, threshold.value))

  /** Sets the threshold (clamped to [0, 1], hundredths) and remembers it. */
  function setThreshold(value: number): void {
    threshold.value = clampThreshold(value)
    try {
      localStorage.setItem(THRESHOLD_KEY, String(threshold.value))
    } catch {
      // Storage may be disabled; the threshold then lasts for this session.
    }
  }

  async function bulk(work: () => Promise<number>, what: string): Promise<number> {
    if (busy.value) return 0
    busy.value = true
    try {
      return await work()
    } catch (error) {
      notifications.reportError(what, error)
      return 0
    } finally {
      busy.value = false
    }
  }

  /** Accepts every proposal of the open image scoring at least the threshold (one undo step); returns how many. */
  function acceptAbove(): Promise<number> {
    const ids = aboveThreshold.value.map((i) => i.id)
    const limit = threshold.value.toFixed(2)
    if (ids.length === 0) {
      notifications.push('info', proposals.value.length === 0 ? 'No proposals on this image' : `No proposal on this image scores ${limit} or more`)
      return Promise.resolve(0)
    }
    return bulk(async () => {
      const n = await instances.setStatusMany(ids, 'accepted')
      notifications.push('info', `Accepted ${n} ${n === 1 ? 'proposal' : 'proposals'} scoring ${limit} or more`)
      return n
    }, 'Accepting proposals')
  }

  /** Rejects every proposal still open on the image (one undo step); returns how many. */
  function rejectRemaining(): Promise<number> {
    const ids = proposals.value.map((i) => i.id)
    if (ids.length === 0) {
      notifications.push('info', 'No proposals left on this image')
      return Promise.resolve(0)
    }
    return bulk(async () => {
      const n = await instances.setStatusMany(ids, 'rejected')
      notifications.push('info', `Rejected ${n} remaining ${n === 1 ? 'proposal' : 'proposals'}`)
      return n
    }, 'Rejecting proposals')
  }

  return { threshold, busy, proposals, aboveThreshold, setThreshold, acceptAbove, rejectRemaining }
})
