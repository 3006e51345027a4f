import { describe, expect, test } from 'vitest'
import {
  EMPTY_PROMPT,
  MAX_PROMPT_POINTS,
  addPoint,
  boxFromCorners,
  isEmptyPrompt,
  removeLast,
  toSegmentPrompt,
  type PromptDraft
} from '../../../src-renderer/src/canvas/prompt-draft'
import type { ViewTransform } from '../../../src-renderer/src/canvas/viewport'

const size = { width: 320, height: 200 }
const t: ViewTransform = { zoom: 2, x: 10, y: 10 }

describe('boxFromCorners', () => {
  test('takes corners dragged in any direction and snaps outwards to whole pixels', () => {
    expect(boxFromCorners({ x: 140.6, y: 133.2 }, { x: 223.4, y: 217.9 }, size)).toEqual([140, 133, 84, 67])
    expect(boxFromCorners({ x: 223.4, y: 199 }, { x: 140.6, y: 133.2 }, size)).toEqual([140, 133, 84, 66])
  })

  test('clamps to the image: a drag that starts or ends outside keeps only the part on the image', () => {
    expect(boxFromCorners({ x: -30, y: -5 }, { x: 40, y: 500 }, size)).toEqual([0, 0, 40, 200])
  })

  test('returns null when nothing of the box lies on the image', () => {
    expect(boxFromCorners({ x: 400, y: 10 }, { x: 500, y: 50 }, size)).toBeNull()
    expect(boxFromCorners({ x: 10, y: 10 }, { x: 10, y: 50 }, size)).toBeNull()
  })
})

describe('prompt points', () => {
  test('adds points with their polarity; a click within 3 view pixels of the last point adds nothing', () => {
    let prompt = addPoint(EMPTY_PROMPT, { x: 10, y: 10, positive: true }, t)
    prompt = addPoint(prompt, { x: 10.5, y: 10.5, positive: true }, t)
    prompt = addPoint(prompt, { x: 40, y: 12, positive: false }, t)
    expect(prompt.points).toEqual([
      { x: 10, y: 10, positive: true },
      { x: 40, y: 12, positive: false }
    ])
  })

  test('returns the same prompt object when nothing changes, so the canvas does not ask the engine again', () => {
    const prompt = addPoint(EMPTY_PROMPT, { x: 10, y: 10, positive: true }, t)
    expect(addPoint(prompt, { x: 10.2, y: 10, positive: false }, t)).toBe(prompt)
    let full: PromptDraft = EMPTY_PROMPT
    for (let i = 0; i < MAX_PROMPT_POINTS; i++) full = addPoint(full, { x: i * 5, y: 0, positive: true }, t)
    expect(full.points).toHaveLength(64)
    expect(addPoint(full, { x: 999, y: 9, positive: true }, t)).toBe(full)
  })

  test('removeLast takes the last point first, then the box, and ends on the shared empty prompt', () => {
    const prompt: PromptDraft = { box: [1, 2, 3, 4], points: [{ x: 5, y: 5, positive: false }] }
    const boxOnly = removeLast(prompt)
    expect(boxOnly).toEqual({ box: [1, 2, 3, 4], points: [] })
    expect(removeLast(boxOnly)).toBe(EMPTY_PROMPT)
    expect(removeLast({ box: null, points: [{ x: 1, y: 1, positive: true }] })).toBe(EMPTY_PROMPT)
    expect(isEmptyPrompt(removeLast(EMPTY_PROMPT))).toBe(true)
  })
})

describe('toSegmentPrompt', () => {
  test('builds box + points with negative points marked positive: false, coordinates to a tenth of a pixel', () => {
    const prompt: PromptDraft = {
      box: [140, 133, 84, 67],
      points: [
        { x: 180.04, y: 170.26, positive: true },
        { x: 60.333, y: 59.99, positive: false }
      ]
    }
    expect(toSegmentPrompt(prompt)).toEqual({
      box: [140, 133, 84, 67],
      points: [
        { x: 180, y: 170.3, positive: true },
        { x: 60.3, y: 60, positive: false }
      ]
    })
  })

  test('leaves out what the prompt does not have, and asks nothing for an empty prompt', () => {
    expect(toSegmentPrompt({ box: [0, 0, 5, 5], points: [] })).toEqual({ box: [0, 0, 5, 5] })
    expect(toSegmentPrompt({ box: null, points: [{ x: 2, y: 3, positive: false }] })).toEqual({ points: [{ x: 2, y: 3, positive: false }] })
    expect(toSegmentPrompt(EMPTY_PROMPT)).toBeNull()
  })
})
