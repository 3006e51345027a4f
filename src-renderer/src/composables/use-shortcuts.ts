import { onScopeDispose } from 'vue'
import type { KeyInput } from '../canvas/handlers/tool-handler'
import { useInstancesStore } from '../stores/instances'
import { useRefineStore } from '../stores/refine'
import { useReviewStore } from '../stores/review'
import { useViewStore } from '../stores/view'
import { useWorkbenchStore } from '../stores/workbench'
import type { CanvasHandle } from './canvas-handle'
import { useRefineActions } from './refine-actions'
import { matchShortcut, type CommandId } from './shortcuts'

/** True when typing goes to a text field, where letters must stay letters. */
export function isTextEntry(target: EventTarget | null): boolean {
  const el = target as HTMLElement | null
  if (!el || typeof el.tagName !== 'string') return false
  return el.isContentEditable || el.tagName === 'INPUT' || el.tagName === 'TEXTAREA' || el.tagName === 'SELECT'
}

function keyInput(e: KeyboardEvent): KeyInput {
  return { key: e.key, ctrl: e.ctrlKey || e.metaKey, shift: e.shiftKey, alt: e.altKey }
}

/** The screen's keyboard: the canvas gets each key first (tool keys), then the shortcut table. */
export function useShortcuts(canvas: CanvasHandle): void {
  const view = useViewStore()
  const instances = useInstancesStore()
  const workbench = useWorkbenchStore()
  const review = useReviewStore()
  const refine = useRefineStore()
  const refineActions = useRefineActions(canvas)

  function run(id: CommandId): void {
    const c = canvas.value
    switch (id) {
      case 'previous-image':
        return void workbench.step('previous')
      case 'next-image':
        return void workbench.step('next')
      case 'undo':
        return void workbench.undo()
      case 'redo':
        return void workbench.redo()
      case 'tool-select':
        view.tool = 'select'
        return
      case 'tool-pan':
        view.tool = 'pan'
        return
      case 'tool-polygon':
        view.tool = 'polygon'
        return
      case 'tool-box':
        view.tool = 'box'
        return
      case 'tool-point':
        view.tool = 'point'
        return
      case 'tool-missed':
        view.tool = 'missed'
        return
      case 'accept':
        return void workbench.setStatus('accepted')
      case 'reject':
        return void workbench.setStatus('rejected')
      case 'accept-above-threshold':
        return void review.acceptAbove()
      case 'reject-remaining':
        return void review.rejectRemaining()
      case 'refine':
        return refineActions.start()
      case 'auto-annotate-image':
        return void workbench.autoAnnotate('image')
      case 'auto-annotate-marked':
        return void workbench.autoAnnotate('marked')
      case 'delete':
        return void workbench.remove()
      case 'rename': {
        const selected = instances.selected
        if (selected) view.show({ kind: 'rename', instanceId: selected.id, current: selected.categoryText })
        return
      }
      case 'next-instance':
        return instances.selectRelative(1)
      case 'previous-instance':
        return instances.selectRelative(-1)
      case 'deselect':
        instances.select(null)
        return
      case 'fit':
        return c?.fit()
      case 'zoom-actual':
        return c?.zoomTo(1)
      case 'zoom-in':
        return c?.zoomBy(1.25)
      case 'zoom-out':
        return c?.zoomBy(0.8)
      case 'toggle-masks':
        view.masksVisible = !view.masksVisible
        return
      case 'toggle-labels':
        view.labelsVisible = !view.labelsVisible
        return
      case 'import':
        view.show({ kind: 'import' })
        return
      case 'export':
        view.show({ kind: 'export' })
        return
      case 'help':
        view.show({ kind: 'cheat-sheet' })
        return
    }
  }

  function onKeyDown(e: KeyboardEvent): void {
    if (e.defaultPrevented || isTextEntry(e.target)) return
    // Dialogs own the keyboard while open; Esc that no dialog field handled still closes them.
    if (view.overlay.kind !== 'none') {
      if (e.key === 'Escape') {
        e.preventDefault()
        view.closeOverlay()
      }
      return
    }
    // An open text correction owns Enter and Esc even when its field lost focus (a box was just drawn).
    if (refine.state.kind !== 'closed' && !e.ctrlKey && !e.metaKey && (e.key === 'Enter' || e.key === 'Escape')) {
      e.preventDefault()
      if (e.key === 'Enter') void refineActions.enter(e.shiftKey)
      else refineActions.escape()
      return
    }
    if (canvas.value?.keyDown(keyInput(e))) {
      e.preventDefault()
      return
    }
    const shortcut = matchShortcut(e)
    if (!shortcut || (e.repeat && !shortcut.repeat)) return
    e.preventDefault()
    run(shortcut.id)
  }

  function onKeyUp(e: KeyboardEvent): void {
    canvas.value?.keyUp(keyInput(e))
  }

  // Releasing space in another window must not leave the canvas stuck in pan.
  function onBlur(): void {
    canvas.value?.keyUp({ key: ' ', ctrl: false, shift: false, alt: false })
  }

  window.addEventListener('keydown', onKeyDown)
  window.addEventListener('keyup', onKeyUp)
  window.addEventListener('blur', onBlur)
  onScopeDispose(() => {
    window.removeEventListener('keydown', onKeyDown)
    window.removeEventListener('keyup', onKeyUp)
    window.removeEventListener('blur', onBlur)
  })
}
