import { useImagesStore } from '../stores/images'
import { useInstancesStore } from '../stores/instances'
import { useRefineStore } from '../stores/refine'
import { useViewStore } from '../stores/view'
import type { CanvasHandle } from './canvas-handle'

/** The text correction's keys and commands, shared by its field and the screen's keyboard. */
export interface RefineActions {
  /** T: correct the selected instance, or (nothing selected) look for a missed object. */
  start(): void
  /** Enter: ask, or accept the answer on screen; Shift+Enter accepts only the name of a category answer. */
  enter(nameOnly: boolean): Promise<void>
  /** Esc: discard the answer; again: drop the missed-object box; again: close the field (and its tool). */
  escape(): void
  /** Closes the field whatever its state (the × button). */
  close(): void
}

/** The text correction's actions, wired to the canvas (the missed-object box lives there). */
export function useRefineActions(canvas: CanvasHandle): RefineActions {
  const refine = useRefineStore()
  const view = useViewStore()
  const images = useImagesStore()
  const instances = useInstancesStore()

  function close(): void {
    refine.close()
    if (view.tool === 'missed') view.tool = 'select'
  }

  return {
    start() {
      const imageId = images.currentId
      if (imageId === null) return
      const selected = instances.selected
      if (!selected) {
        // The tool opens the field (ImageView follows the tool), so N and T land in the same place.
        view.tool = 'missed'
        return
      }
      if (view.tool === 'missed') view.tool = 'select'
      refine.open({ kind: 'instance', imageId, instanceId: selected.id, name: selected.categoryText })
    },
    async enter(nameOnly) {
      const s = refine.state
      const wasMissed = s.kind === 'preview' && s.target.kind === 'missed'
      const saved =
        nameOnly && s.kind === 'preview' && s.command.kind === 'category' && s.text === refine.text
          ? await refine.accept({ nameOnly: true })
          : await refine.submit()
      // The box of a stored missed object is done with; the tool waits for the next one.
      if (saved && wasMissed) canvas.value?.clearMissedBox()
    },
    escape() {
      const s = refine.state
      switch (s.kind) {
        case 'closed':
        case 'saving':
          return
        case 'asking':
        case 'preview':
        case 'failed':
          return refine.discard()
        case 'editing':
          if (s.target.kind === 'missed' && s.target.box) {
            canvas.value?.clearMissedBox()
            return refine.setMissedBox(null)
          }
          return close()
      }
    },
    close
  }
}
