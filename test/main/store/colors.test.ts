import { describe, expect, it } from 'vitest'
import { categoryColor } from '../../../src-main/store/colors'

function hue(hex: string): number {
  const [r, g, b] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255) as [number, number, number]
  const max = Math.max(r, g, b)
  const d = max - Math.min(r, g, b)
  if (d === 0) return 0
  const h = max === r ? ((g - b) / d) % 6 : max === g ? (b - r) / d + 2 : (r - g) / d + 4
  return (h * 60 + 360) % 360
}

describe('categoryColor', () => {
  it('gives the same colour to the same name whatever its case', () => {
    expect(categoryColor('Red Circle')).toBe(categoryColor('red circle'))
    expect(categoryColor('saucer')).toMatch(/^#[0-9a-f]{6}$/)
  })

  it('spreads related names over the colour wheel instead of clustering them', () => {
    const names = ['saucer', 'plate', 'espresso cup', 'teaspoon', 'cup', 'spoon', 'table', 'coffee']
    const hues = names.map((n) => hue(categoryColor(n))).sort((a, b) => a - b)
    // 8 names on a 360° wheel: a spread this wide cannot come from one cluster.
    expect(hues[hues.length - 1]! - hues[0]!).toBeGreaterThan(180)
    const distinct = new Set(names.map(categoryColor))
    expect(distinct.size).toBe(names.length)
  })
})
