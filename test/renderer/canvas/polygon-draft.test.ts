// @vitest-environment happy-dom
import { describe, expect, test } from 'vitest'
import { clampToImage, classifyClick, flatten } from '../../../src-renderer/src/canvas/polygon-draft'

const t = { zoom: 2, x: 0, y: 0 }
const square = [
  { x: 10, y: 10 },
  { x: 50, y: 10 },
  { x: 50, y: 50 }
]

describe('polygon draft', () => {
  test('a click near the first vertex closes a polygon of three or more vertices', () => {
    expect(classifyClick(square, { x: 11, y: 12 }, t)).toEqual({ kind: 'close' })
  })

  test('with fewer than three vertices a click near the first one adds a vertex instead', () => {
    expect(classifyClick(square.slice(0, 2), { x: 13, y: 10 }, t)).toEqual({ kind: 'add', point: { x: 13, y: 10 } })
  })

  test('the second click of a double-click (same spot as the last vertex) adds nothing', () => {
    expect(classifyClick(square, { x: 50.5, y: 50.5 }, t)).toEqual({ kind: 'ignore' })
  })

  test('tolerances are in screen pixels: the same image distance closes at high zoom only when near on screen', () => {
    expect(classifyClick(square, { x: 14, y: 10 }, { zoom: 1, x: 0, y: 0 })).toEqual({ kind: 'close' })
    expect(classifyClick(square, { x: 14, y: 10 }, { zoom: 4, x: 0, y: 0 }).kind).toBe('add')
  })

  test('vertices are clamped into the image and flattened as x0 y0 x1 y1', () => {
    expect(clampToImage({ x: -5, y: 70 }, { width: 64, height: 48 })).toEqual({ x: 0, y: 48 })
    expect(flatten(square)).toEqual([10, 10, 50, 10, 50, 50])
  })
})
