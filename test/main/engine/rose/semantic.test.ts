// The semantic output of dense prediction: same-name instances stacked into one mask each.
import { describe, expect, test } from 'vitest'
import { semanticStack, type RoseInstance } from '../../../../src-main/engine/rose/rose-pipeline'
import { compress, decodeRowMajor, encodeRowMajor } from '../../../../src-main/masks/rle'

const H = 20
const W = 30

function instance(name: string, x0: number, y0: number, x1: number, y1: number): RoseInstance {
  const mask = new Uint8Array(H * W)
  for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) mask[y * W + x] = 1
  return { rle: compress(encodeRowMajor(mask, H, W)), bbox: [x0, y0, x1 - x0, y1 - y0], area: (x1 - x0) * (y1 - y0), name, nameIds: [], score: 0.9, patch: 0, role: 'small', siglipEmbedding: new Float32Array(0) }
}

describe('semanticStack', () => {
  test('unites same-name masks (overlap counted once), keeps first-appearance order and member indices', () => {
    const instances = [
      instance('red circle', 0, 0, 10, 10), // 100 px
      instance('blue square', 20, 5, 25, 15), // 50 px
      instance('red circle', 5, 5, 15, 12) // 70 px, 25 of them shared with the first
    ]
    const stack = semanticStack(instances)
    expect(stack.map((s) => [s.name, s.instances, s.area, s.bbox])).toEqual([
      ['red circle', [0, 2], 145, [0, 0, 15, 12]],
      ['blue square', [1], 50, [20, 5, 5, 10]]
    ])
    const red = decodeRowMajor(stack[0]!.rle)
    expect(red[0]).toBe(1) // (0, 0) from the first circle
    expect(red[11 * W + 14]).toBe(1) // (14, 11) from the second
    expect(red[11 * W + 2]).toBe(0) // (2, 11) in neither
    expect(stack[0]!.rle.size).toEqual([H, W])
  })

  test('no instances, no segments', () => {
    expect(semanticStack([])).toEqual([])
  })
})
