import { describe, expect, it } from 'vitest'
import { draftKey, type DraftSteps, type KeyInput } from '../../../src-renderer/src/canvas/handlers/tool-handler'

const key = (k: string, ctrl = false, shift = false): KeyInput => ({ key: k, ctrl, shift, alt: false })

function draft(empty: boolean): DraftSteps & { calls: string[] } {
  const calls: string[] = []
  return { empty, calls, stepBack: () => calls.push('stepBack'), clear: () => calls.push('clear'), leave: () => calls.push('leave') }
}

describe('the keys the drawing tools share', () => {
  it('Backspace and Ctrl+Z take a step back while something is drawn; Esc drops it', () => {
    const d = draft(false)
    expect([draftKey(key('Backspace'), d), draftKey(key('z', true), d), draftKey(key('Z', true), d), draftKey(key('Escape'), d)]).toEqual([true, true, true, true])
    expect(d.calls).toEqual(['stepBack', 'stepBack', 'stepBack', 'clear'])
  })

  it('on an empty draft Ctrl+Z goes on to the project undo, Backspace is swallowed, Esc leaves the tool', () => {
    const d = draft(true)
    expect(draftKey(key('z', true), d)).toBe(false)
    expect(draftKey(key('Backspace'), d)).toBe(true)
    expect(draftKey(key('Escape'), d)).toBe(true)
    expect(d.calls).toEqual(['leave'])
  })

  it('leaves every other key, Ctrl+Shift+Z (redo) included, to the tool or the app', () => {
    const d = draft(false)
    for (const k of [key('z', true, true), key('z'), key('Enter'), key('Delete')]) expect(draftKey(k, d)).toBeUndefined()
    expect(d.calls).toEqual([])
  })
})
