// @vitest-environment happy-dom
import { describe, expect, test } from 'vitest'
import { visibleRange } from '../../../src-renderer/src/components/virtual-range'

describe('visibleRange', () => {
  test('renders only the rows in view plus the overscan, deep in a 10,000-row list', () => {
    expect(visibleRange(560_000 - 800, 800, 56, 10_000, 6)).toEqual({ first: 9_979, last: 9_999 })
    expect(visibleRange(280_000, 800, 56, 10_000, 6)).toEqual({ first: 4_994, last: 5_021 })
  })

  test('an empty list renders nothing', () => {
    expect(visibleRange(0, 800, 56, 0, 6)).toEqual({ first: 0, last: -1 })
  })
})
