// @vitest-environment happy-dom
import { describe, expect, test } from 'vitest'
import { MAX_ZOOM, fitTransform, panBy, toImage, toScreen, wheelZoomFactor, zoomAround } from '../../../src-renderer/src/canvas/viewport'

describe('viewport', () => {
  test('fit centres the whole image and enlarges small ones', () => {
    expect(fitTransform({ width: 1000, height: 500 }, { width: 848, height: 648 }, 24)).toEqual({ zoom: 0.8, x: 24, y: 124 })
    expect(fitTransform({ width: 64, height: 48 }, { width: 688, height: 548 }, 24).zoom).toBe(10)
  })

  test('zooming keeps the image point under the cursor in place', () => {
    const t = { zoom: 0.5, x: 10, y: 20 }
    const anchor = { x: 300, y: 200 }
    const before = toImage(t, anchor)
    const after = zoomAround(t, anchor, 3)
    expect(after.zoom).toBe(1.5)
    const moved = toScreen(after, before)
    expect(moved.x).toBeCloseTo(300, 9)
    expect(moved.y).toBeCloseTo(200, 9)
  })

  test('zoom is clamped to its limits', () => {
    expect(zoomAround({ zoom: 40, x: 0, y: 0 }, { x: 0, y: 0 }, 10).zoom).toBe(MAX_ZOOM)
  })

  test('panning moves the view by the drag distance', () => {
    expect(panBy({ zoom: 2, x: 5, y: 5 }, 10, -3)).toEqual({ zoom: 2, x: 15, y: 2 })
  })

  test('a wheel step up zooms in, down zooms out, and line deltas count like pixel deltas', () => {
    expect(wheelZoomFactor(-100, 0)).toBeGreaterThan(1)
    expect(wheelZoomFactor(100, 0)).toBeLessThan(1)
    expect(wheelZoomFactor(-100, 0) * wheelZoomFactor(100, 0)).toBeCloseTo(1, 12)
    expect(wheelZoomFactor(3, 1)).toBeCloseTo(wheelZoomFactor(48, 0), 12)
  })
})
