// @vitest-environment happy-dom
import { describe, expect, test } from 'vitest'
import { formatCombo, matchShortcut, type KeyLike } from '../../../src-renderer/src/composables/shortcuts'

function press(key: string, mods: Partial<Omit<KeyLike, 'key'>> = {}): string | null {
  return matchShortcut({ key, ctrlKey: false, metaKey: false, shiftKey: false, altKey: false, ...mods })?.id ?? null
}

describe('shortcuts', () => {
  test('A/D and the arrows walk the images; letters match in either case', () => {
    expect([press('a'), press('D'), press('ArrowLeft'), press('ArrowRight')]).toEqual([
      'previous-image',
      'next-image',
      'previous-image',
      'next-image'
    ])
  })

  test('Ctrl+Z undoes; Ctrl+Shift+Z, Ctrl+Y and ⌘+Shift+Z redo', () => {
    expect(press('z', { ctrlKey: true })).toBe('undo')
    expect(press('Z', { ctrlKey: true, shiftKey: true })).toBe('redo')
    expect(press('y', { ctrlKey: true })).toBe('redo')
    expect(press('z', { metaKey: true, shiftKey: true })).toBe('redo')
  })

  test('? opens the cheat sheet whatever Shift state the layout needs; plain z and Alt combos do nothing', () => {
    expect(press('?', { shiftKey: true })).toBe('help')
    expect(press('z')).toBeNull()
    expect(press('d', { altKey: true })).toBeNull()
  })

  test('Tab selects the next instance and Shift+Tab the previous one', () => {
    expect(press('Tab')).toBe('next-instance')
    expect(press('Tab', { shiftKey: true })).toBe('previous-instance')
  })

  test('E/R review the selection, Shift+E/Shift+R every proposal of the image', () => {
    expect([press('e'), press('r'), press('E', { shiftKey: true }), press('R', { shiftKey: true })]).toEqual([
      'accept',
      'reject',
      'accept-above-threshold',
      'reject-remaining'
    ])
  })

  test('Ctrl+Enter auto-annotates the image, Ctrl+Shift+Enter the marked ones; plain Enter is no shortcut; T and N correct by text', () => {
    expect(press('Enter', { ctrlKey: true })).toBe('auto-annotate-image')
    expect(press('Enter', { metaKey: true, shiftKey: true })).toBe('auto-annotate-marked')
    expect(press('Enter')).toBeNull()
    expect([press('t'), press('n')]).toEqual(['refine', 'tool-missed'])
  })

  test('combos are written the way the cheat sheet shows them', () => {
    expect(formatCombo({ key: 'z', ctrl: true, shift: true })).toBe('Ctrl+Shift+Z')
    expect(formatCombo({ key: 'ArrowLeft' })).toBe('←')
  })
})
