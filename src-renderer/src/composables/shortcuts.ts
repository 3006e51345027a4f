/** Every keyboard command of the annotation screen. */
export type CommandId =
  | 'previous-image'
  | 'next-image'
  | 'undo'
  | 'redo'
  | 'tool-select'
  | 'tool-pan'
  | 'tool-polygon'
  | 'tool-box'
  | 'tool-point'
  | 'tool-missed'
  | 'accept'
  | 'reject'
  | 'accept-above-threshold'
  | 'reject-remaining'
  | 'refine'
  | 'auto-annotate-image'
  | 'auto-annotate-marked'
  | 'delete'
  | 'rename'
  | 'next-instance'
  | 'previous-instance'
  | 'deselect'
  | 'fit'
  | 'zoom-actual'
  | 'zoom-in'
  | 'zoom-out'
  | 'toggle-masks'
  | 'toggle-labels'
  | 'import'
  | 'export'
  | 'help'

/** One key combination; `ctrl` also matches ⌘ on macOS. */
export interface KeyCombo {
  readonly key: string
  readonly ctrl?: boolean
  readonly shift?: boolean
}

/** A command, the keys that run it, and how the cheat sheet lists it. */
export interface Shortcut {
  readonly id: CommandId
  readonly group: ShortcutGroup
  readonly label: string
  readonly keys: readonly KeyCombo[]
  /** Whether holding the key repeats the command (navigation and zoom only). */
  readonly repeat?: boolean
}

/** Sections of the cheat sheet. */
export type ShortcutGroup = 'Images' | 'Tools' | 'Review' | 'Model' | 'View' | 'Project'

/**
 * The key map, in the habits of labelme / X-AnyLabeling / CVAT: A/D walk the images, P draws polygons,
 * B draws an engine box (X-AnyLabeling's rectangle prompt), O places engine points, Ctrl+Z undoes;
 * accept/reject sit on E/R next to the navigation keys so review is one-handed, and their Shift forms act
 * on every proposal of the image. Ctrl+Enter runs the model (Enter "commits" everywhere else); T opens the
 * text correction, N the missed-object tool.
 */
export const SHORTCUTS: readonly Shortcut[] = [
  { id: 'previous-image', group: 'Images', label: 'Previous image', keys: [{ key: 'a' }, { key: 'ArrowLeft' }], repeat: true },
  { id: 'next-image', group: 'Images', label: 'Next image', keys: [{ key: 'd' }, { key: 'ArrowRight' }], repeat: true },
  { id: 'tool-select', group: 'Tools', label: 'Select tool', keys: [{ key: 'v' }] },
  { id: 'tool-pan', group: 'Tools', label: 'Pan tool', keys: [{ key: 'h' }] },
  { id: 'tool-polygon', group: 'Tools', label: 'Polygon tool', keys: [{ key: 'p' }] },
  { id: 'tool-box', group: 'Tools', label: 'Box tool (engine mask)', keys: [{ key: 'b' }] },
  { id: 'tool-point', group: 'Tools', label: 'Point tool (engine mask)', keys: [{ key: 'o' }] },
  { id: 'tool-missed', group: 'Tools', label: 'Missed object (box or description → model)', keys: [{ key: 'n' }] },
  { id: 'accept', group: 'Review', label: 'Accept selected instance', keys: [{ key: 'e' }] },
  { id: 'reject', group: 'Review', label: 'Reject selected instance', keys: [{ key: 'r' }] },
  { id: 'accept-above-threshold', group: 'Review', label: 'Accept proposals at or above the threshold', keys: [{ key: 'e', shift: true }] },
  { id: 'reject-remaining', group: 'Review', label: 'Reject the remaining proposals', keys: [{ key: 'r', shift: true }] },
  { id: 'rename', group: 'Review', label: 'Rename category of selected', keys: [{ key: 'F2' }, { key: 'c' }] },
  { id: 'delete', group: 'Review', label: 'Delete selected instance', keys: [{ key: 'Delete' }, { key: 'Backspace' }] },
  { id: 'next-instance', group: 'Review', label: 'Select next instance', keys: [{ key: 'Tab' }], repeat: true },
  { id: 'previous-instance', group: 'Review', label: 'Select previous instance', keys: [{ key: 'Tab', shift: true }], repeat: true },
  { id: 'deselect', group: 'Review', label: 'Deselect / cancel', keys: [{ key: 'Escape' }] },
  { id: 'undo', group: 'Review', label: 'Undo', keys: [{ key: 'z', ctrl: true }] },
  { id: 'redo', group: 'Review', label: 'Redo', keys: [{ key: 'z', ctrl: true, shift: true }, { key: 'y', ctrl: true }] },
  { id: 'auto-annotate-image', group: 'Model', label: 'Auto-annotate this image', keys: [{ key: 'Enter', ctrl: true }] },
  { id: 'auto-annotate-marked', group: 'Model', label: 'Auto-annotate the marked images', keys: [{ key: 'Enter', ctrl: true, shift: true }] },
  { id: 'refine', group: 'Model', label: 'Text correction (selected: fix mask / it is a …; none: missed object)', keys: [{ key: 't' }] },
  { id: 'fit', group: 'View', label: 'Fit image to view', keys: [{ key: 'f' }, { key: '0' }] },
  { id: 'zoom-actual', group: 'View', label: 'Zoom to 100 %', keys: [{ key: '1' }] },
  { id: 'zoom-in', group: 'View', label: 'Zoom in', keys: [{ key: '+' }, { key: '=' }], repeat: true },
  { id: 'zoom-out', group: 'View', label: 'Zoom out', keys: [{ key: '-' }], repeat: true },
  { id: 'toggle-masks', group: 'View', label: 'Show / hide masks', keys: [{ key: 'm' }] },
  { id: 'toggle-labels', group: 'View', label: 'Show / hide labels', keys: [{ key: 'l' }] },
  { id: 'import', group: 'Project', label: 'Import images', keys: [{ key: 'i', ctrl: true }] },
  { id: 'export', group: 'Project', label: 'Export annotations', keys: [{ key: 'e', ctrl: true }] },
  { id: 'help', group: 'Project', label: 'This cheat sheet', keys: [{ key: '?' }] }
]

/** Gestures and tool keys the canvas handles itself, listed on the cheat sheet only. */
export const CANVAS_GESTURES: readonly { readonly keys: string; readonly label: string }[] = [
  { keys: 'Wheel', label: 'Zoom at the pointer' },
  { keys: 'Space + drag · Middle-drag', label: 'Pan (any tool); drag the background in Select' },
  { keys: 'Click', label: 'Polygon: add a vertex' },
  { keys: 'Click first vertex · Enter · Double-click', label: 'Polygon: close it and name it' },
  { keys: 'Backspace · Ctrl+Z', label: 'Polygon: remove the last vertex' },
  { keys: 'Esc', label: 'Polygon: drop the draft (again: leave the tool)' },
  { keys: 'Drag', label: 'Box: draw a box around an object' },
  { keys: 'Click · Shift/right-click', label: 'Box, Point: add a point · one to leave out' },
  { keys: 'Enter · Double-click', label: 'Box, Point: name and save the mask' },
  { keys: 'Backspace · Esc', label: 'Box, Point: remove the last point · drop' },
  { keys: 'Drag', label: 'Missed object: box around it (the model answers at once)' },
  { keys: 'Enter · Shift+Enter', label: 'Text correction: ask, then accept · accept the name only' },
  { keys: 'Esc', label: 'Text correction: discard the answer (again: close)' },
  { keys: 'Ctrl/Shift+click', label: 'Image list: mark images (for auto-annotation)' }
]

/** The fields of a keyboard event the matcher reads. */
export interface KeyLike {
  readonly key: string
  readonly ctrlKey: boolean
  readonly metaKey: boolean
  readonly shiftKey: boolean
  readonly altKey: boolean
}

function matches(combo: KeyCombo, e: KeyLike): boolean {
  if (e.altKey) return false
  if (Boolean(combo.ctrl) !== (e.ctrlKey || e.metaKey)) return false
  // Symbols such as ? and + need Shift on most layouts: their key value alone identifies them.
  const symbol = combo.key.length === 1 && !/[a-z0-9]/i.test(combo.key)
  if (!symbol && Boolean(combo.shift) !== e.shiftKey) return false
  return combo.key.length === 1 ? e.key.toLowerCase() === combo.key : e.key === combo.key
}

/** The shortcut a key press stands for, if any. */
export function matchShortcut(e: KeyLike): Shortcut | null {
  return SHORTCUTS.find((s) => s.keys.some((k) => matches(k, e))) ?? null
}

const KEY_NAMES: Readonly<Record<string, string>> = {
  ArrowLeft: '←',
  ArrowRight: '→',
  Escape: 'Esc',
  Delete: 'Del',
  Backspace: '⌫'
}

/** How a combination is written on the cheat sheet and in tooltips (`Ctrl+Shift+Z`). */
export function formatCombo(combo: KeyCombo): string {
  const key = KEY_NAMES[combo.key] ?? (combo.key.length === 1 ? combo.key.toUpperCase() : combo.key)
  return [combo.ctrl ? 'Ctrl' : null, combo.shift ? 'Shift' : null, key].filter(Boolean).join('+')
}

/** The first key of a command, for a button's tooltip. */
export function hintFor(id: CommandId): string {
  const first = SHORTCUTS.find((s) => s.id === id)?.keys[0]
  return first ? formatCombo(first) : ''
}
