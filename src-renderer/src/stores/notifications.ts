import { defineStore } from 'pinia'
import { ref } from 'vue'
import { describeError, isCancellation } from '../api'

/** How a notice looks: information fades, errors stay until dismissed. */
export type NoticeKind = 'info' | 'error'

/** One notice in the corner stack. */
export interface Notice {
  readonly id: number
  readonly kind: NoticeKind
  readonly text: string
}

const INFO_LIFETIME_MS = 3500

/** Short messages for the user: results of undo/redo, and failures that need their attention. */
export const useNotificationsStore = defineStore('notifications', () => {
  const notices = ref<Notice[]>([])
  let nextId = 1

  /** Shows a notice; information disappears by itself. */
  function push(kind: NoticeKind, text: string): void {
    const id = nextId++
    notices.value = [...notices.value.slice(-4), { id, kind, text }]
    if (kind === 'info') setTimeout(() => dismiss(id), INFO_LIFETIME_MS)
  }

  /** Removes a notice. */
  function dismiss(id: number): void {
    notices.value = notices.value.filter((n) => n.id !== id)
  }

  /** Reports a failure of `what`; cancellations are not failures and stay silent. */
  function reportError(what: string, error: unknown): void {
    if (isCancellation(error)) return
    console.error(`[rose] ${what} failed`, error)
    push('error', `${what}: ${describeError(error)}`)
  }

  return { notices, push, dismiss, reportError }
})
