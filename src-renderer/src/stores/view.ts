import { defineStore } from 'pinia'
import { ref } from 'vue'
import type { Mode, Point, ToolKind } from '../canvas/mode'

/** The dialog or sheet covering the workspace, if any. */
export type Overlay =
  | { readonly kind: 'none' }
  | { readonly kind: 'cheat-sheet' }
  | { readonly kind: 'import' }
  | { readonly kind: 'import-annotations' }
  | { readonly kind: 'export' }
  | { readonly kind: 'engine' }
  | { readonly kind: 'name-polygon'; readonly polygon: readonly number[] }
  | { readonly kind: 'name-mask' }
  | { readonly kind: 'rename'; readonly instanceId: number; readonly current: string }

/** What the workspace shows: tool, zoom, pointer position, layer toggles and the open dialog. */
export const useViewStore = defineStore('view', () => {
  const tool = ref<ToolKind>('select')
  /** The canvas mode, mirrored from the facade's `modeChanged` (plain data, no fabric inside). */
  const mode = ref<Mode>({ kind: 'idle' })
  const zoom = ref(1)
  const cursor = ref<Point | null>(null)
  const masksVisible = ref(true)
  const labelsVisible = ref(true)
  const overlay = ref<Overlay>({ kind: 'none' })
  /** The category named last, offered first for the next polygon (objects of one kind come in runs). */
  const lastCategory = ref('')

  /** Opens a dialog or sheet (replacing any other). */
  function show(next: Overlay): void {
    overlay.value = next
  }

  /** Closes whatever dialog is open. */
  function closeOverlay(): void {
    overlay.value = { kind: 'none' }
  }

  return { tool, mode, zoom, cursor, masksVisible, labelsVisible, overlay, lastCategory, show, closeOverlay }
})
