import { defineStore } from 'pinia'
import { ref } from 'vue'
import type { HistoryStateValue, HistoryStepValue } from '../../../src-preload/contract'
import { useSessionStore } from './session'

const EMPTY: HistoryStateValue = { canUndo: false, canRedo: false, undoLabel: null, redoLabel: null }

function stateOf(step: HistoryStepValue): HistoryStateValue {
  return { canUndo: step.canUndo, canRedo: step.canRedo, undoLabel: step.undoLabel, redoLabel: step.redoLabel }
}

/** The project's undo/redo history as main keeps it (it survives reloads). */
export const useHistoryStore = defineStore('history', () => {
  const session = useSessionStore()
  const state = ref<HistoryStateValue>(EMPTY)

  /** Reloads what undo/redo can do. */
  async function load(): Promise<void> {
    state.value = await session.requireApi().invoke('history:state', {})
  }

  /** Adopts a state main pushed. */
  function set(next: HistoryStateValue): void {
    state.value = next
  }

  /** Undoes the last step; the step says which image it touched. */
  async function undo(): Promise<HistoryStepValue> {
    const step = await session.requireApi().invoke('history:undo', {})
    state.value = stateOf(step)
    return step
  }

  /** Redoes the last undone step. */
  async function redo(): Promise<HistoryStepValue> {
    const step = await session.requireApi().invoke('history:redo', {})
    state.value = stateOf(step)
    return step
  }

  return { state, load, set, undo, redo }
})
