// The pure stages around session.run: frame geometry, PIL's resize, prompt text, patch selection,
// grid NMS and the mask mapping of model-pack.md section 8, each against an independent reference.
import { spawnSync } from 'node:child_process'
import { describe, expect, test } from 'vitest'
import { area, decode, toBbox } from '../../../../src-main/masks/rle'
import { boxToText, letterbox, roundHalfEven } from '../../../../src-main/engine/rose/frame'
import { FRAGMENT_FLOOR, imageTaps, logitsToRuns, nmsOnGrid, removeFragments } from '../../../../src-main/engine/rose/mask-map'
import { roleOfPatch, selectPatches, topPatches } from '../../../../src-main/engine/rose/patches'
import { maskToContent, resampleBilinear } from '../../../../src-main/engine/rose/preprocess'
import { cleanName, countAnswer, fillTemplate } from '../../../../src-main/engine/rose/prompt'
import { encodeRowMajor } from '../../../../src-main/masks/rle'

const LAYOUT = [
  ['small', 'medium', 'small'],
  ['medium', 'large', 'medium'],
  ['small', 'stuff', 'small']
]

describe('frame geometry', () => {
  test('rounds content sizes half to even, as the trainer’s Python round does', () => {
    expect([roundHalfEven(0.5), roundHalfEven(1.5), roundHalfEven(2.5), roundHalfEven(-0.5), roundHalfEven(2.4999)]).toEqual([0, 2, 2, -0, 2])
    // 300×100 into 128: s = 0.42666…, 100·s = 42.666… → 43.
    expect(letterbox({ width: 300, height: 100 }, 128)).toEqual({ frame: 128, scale: 128 / 300, contentWidth: 128, contentHeight: 43 })
    expect(letterbox({ width: 1, height: 20000 }, 128)).toMatchObject({ contentWidth: 1, contentHeight: 128 })
  })

  test('writes boxes as integer percent of the image, clamped, far edges exclusive', () => {
    expect(boxToText([11, 15, 47, 48], { width: 128, height: 103 })).toBe('[9, 15, 45, 61]')
    expect(boxToText([-10, -10, 500, 500], { width: 100, height: 100 })).toBe('[0, 0, 100, 100]')
  })
})

describe('PIL-exact bilinear resize', () => {
  test('reproduces Pillow’s BILINEAR resize bit for bit when shrinking and enlarging', () => {
    const script = `
import sys, numpy as np
from PIL import Image
a = np.random.default_rng(3).integers(0, 256, (53, 71, 3), dtype=np.uint8)
out = [a.tobytes()]
for w, h in [(128, 96), (32, 24), (17, 13), (71, 20)]:
    out.append(np.asarray(Image.fromarray(a).resize((w, h), Image.BILINEAR)).tobytes())
sys.stdout.buffer.write(b''.join(out))`
    const run = spawnSync('/usr/bin/python3', ['-c', script], { maxBuffer: 1 << 24 })
    expect(run.status, String(run.stderr)).toBe(0)
    const bytes = new Uint8Array(run.stdout)
    const source = bytes.subarray(0, 53 * 71 * 3)
    let offset = source.length
    for (const [w, h] of [[128, 96], [32, 24], [17, 13], [71, 20]] as const) {
      const pil = bytes.subarray(offset, offset + w * h * 3)
      offset += w * h * 3
      expect(Buffer.from(resampleBilinear(source, 71, 53, w, h)).equals(Buffer.from(pil)), `${w}×${h}`).toBe(true)
    }
  })
})

describe('prompt text', () => {
  test('fills template fields in one pass, so braces in a value stay as typed', () => {
    expect(fillTemplate('<image> What is {description} in this image?', { description: 'the {box} thing' })).toBe('<image> What is the {box} thing in this image?')
    expect(() => fillTemplate('{category}', {})).toThrow('template: no value for {category} in "{category}"')
  })

  test('counts names by count, then name, and cleans a generated answer', () => {
    const prompts = { count_answer: 'There are {counts} in this image.' } as Parameters<typeof countAnswer>[0]
    expect(countAnswer(prompts, ['sky', 'red circle', 'red circle', 'blue star'])).toBe('There are 2 red circle, 1 blue star, 1 sky in this image.')
    expect(countAnswer(prompts, [])).toBe('There are no objects in this image.')
    expect(cleanName(' red circle. ')).toBe('red circle')
    expect(cleanName(' red circle..')).toBe('red circle.')
  })
})

describe('patch selection and roles', () => {
  test('keeps the top N by score, ties by lower index, then drops those under the threshold', () => {
    const scores = [0.2, 0.9, 0.9, 0.55, 0.7, 0.1]
    expect(selectPatches(scores, 4, 0.5)).toEqual([1, 2, 4, 3])
    expect(selectPatches(scores, 2, 0.5)).toEqual([1, 2])
    expect(selectPatches(scores, 10, 0.95)).toEqual([])
    expect(topPatches([-3, 5, 5, 1], 1)).toEqual([1])
  })

  test('gives each patch the role of its cell in the 3×3 super-patch layout', () => {
    // grid 16: patch (row 4, col 7) = 71 → layout[1][1]; (2, 0) = 32 → layout[2][0]; (5, 4) = 84 → layout[2][1].
    expect([roleOfPatch(71, 16, LAYOUT), roleOfPatch(32, 16, LAYOUT), roleOfPatch(84, 16, LAYOUT), roleOfPatch(0, 16, LAYOUT)]).toEqual(['large', 'small', 'stuff', 'small'])
  })
})

describe('mask logits to image pixels', () => {
  // Section 8 written out pixel by pixel: bilinear sample at u = (x + 0.5)·s·r/Ls − 0.5, clamped.
  function naive(logits: Float32Array, r: number, frame: number, width: number, height: number): Uint8Array {
    const s = frame / Math.max(width, height)
    const k = (s * r) / frame
    const out = new Uint8Array(width * height)
    const clamp = (v: number): number => Math.min(Math.max(v, 0), r - 1)
    for (let y = 0; y < height; y++) {
      const v = clamp((y + 0.5) * k - 0.5)
      const v0 = Math.floor(v)
      const v1 = Math.min(v0 + 1, r - 1)
      const fv = v - v0
      for (let x = 0; x < width; x++) {
        const u = clamp((x + 0.5) * k - 0.5)
        const u0 = Math.floor(u)
        const u1 = Math.min(u0 + 1, r - 1)
        const fu = u - u0
        const g = (j: number, i: number): number => logits[j * r + i]!
        const top = g(v0, u0) * (1 - fu) + g(v0, u1) * fu
        const bottom = g(v1, u0) * (1 - fu) + g(v1, u1) * fu
        out[y * width + x] = top * (1 - fv) + bottom * fv > 0 ? 1 : 0
      }
    }
    return out
  }

  test.each([
    [32, 128, 128, 128],
    [32, 128, 200, 90],
    [16, 64, 37, 301],
    [32, 128, 1, 1]
  ])('maps an r=%i grid over a %i frame to a %i×%i image exactly as the pixel-by-pixel rule', (r, frame, width, height) => {
    const logits = new Float32Array(r * r)
    for (let j = 0; j < r; j++) for (let i = 0; i < r; i++) logits[j * r + i] = Math.sin(i * 0.7) + Math.cos(j * 0.45) - 0.3
    const runs = logitsToRuns(logits, r, imageTaps(width, height, r, frame), 0)
    const expected = naive(logits, r, frame, width, height)
    expect(Buffer.from(decodeRowMajor(runs, width, height)).equals(Buffer.from(expected))).toBe(true)
  })

  test('a mask of a 20000×15000 image costs its box, and its bbox and area are exact', () => {
    const r = 128
    const logits = new Float32Array(r * r).fill(-5)
    for (let j = 40; j < 60; j++) for (let i = 10; i < 30; i++) logits[j * r + i] = 5
    const start = performance.now()
    const runs = logitsToRuns(logits, r, imageTaps(20000, 15000, r, 128), 0)
    expect(performance.now() - start).toBeLessThan(500)
    // Cells 10..29 × 40..59 of a grid that covers 20000 px with 128 cells (156.25 px each): the sample is
    // > 0 for u in (9.5, 29.5), i.e. x from 1563 (u = 9.5064) to 4686 (u = 29.4936; x = 4687 samples
    // exactly 0), and for v in (39.5, 59.5), i.e. y from 6250 to 9374.
    expect(toBbox(runs)).toEqual([1563, 6250, 3124, 3125])
    // Bilinear interpolation rounds the corners; count the pixel-by-pixel rule over the box (and a margin).
    const s = 128 / 20000
    const sample = (x: number, y: number): number => {
      const u = Math.min(Math.max((x + 0.5) * s - 0.5, 0), r - 1)
      const v = Math.min(Math.max((y + 0.5) * s - 0.5, 0), r - 1)
      const u0 = Math.floor(u)
      const v0 = Math.floor(v)
      const fu = u - u0
      const fv = v - v0
      const g = (j: number, i: number): number => logits[Math.min(j, r - 1) * r + Math.min(i, r - 1)]!
      return (g(v0, u0) * (1 - fu) + g(v0, u0 + 1) * fu) * (1 - fv) + (g(v0 + 1, u0) * (1 - fu) + g(v0 + 1, u0 + 1) * fu) * fv
    }
    let expected = 0
    for (let y = 6240; y < 9385; y++) for (let x = 1553; x < 4697; x++) if (sample(x, y) > 0) expected++
    expect(area(runs)).toBe(expected)
  })

  test('NMS drops small masks and masks overlapping a kept one, in score order, inside the content area', () => {
    const r = 8
    const plane = (cells: [number, number][]): Float32Array => {
      const p = new Float32Array(r * r).fill(-1)
      for (const [y, x] of cells) p[y * r + x] = 1
      return p
    }
    const block = (y0: number, x0: number, h: number, w: number): [number, number][] => {
      const out: [number, number][] = []
      for (let y = y0; y < y0 + h; y++) for (let x = x0; x < x0 + w; x++) out.push([y, x])
      return out
    }
    const masks = [plane(block(0, 0, 3, 3)), plane(block(0, 0, 3, 2)), plane(block(5, 5, 1, 1)), plane(block(4, 0, 2, 3)), plane(block(0, 6, 2, 2))]
    const all = new Float32Array(masks.length * r * r)
    masks.forEach((m, i) => all.set(m, i * r * r))
    // Content area 8 rows × 6 columns: the last mask lies in the padding, so it is empty there.
    expect(nmsOnGrid(all, masks.length, r, r * r, 8, 6, { maskThreshold: 0, minMaskArea: 2, nmsIou: 0.5, nmsContainment: 1.01 })).toEqual([0, 3])
  })

  test('NMS drops a fragment lying inside a kept mask even at low IoU, only when containment is switched on', () => {
    const r = 8
    const plane = (y0: number, x0: number, h: number, w: number): Float32Array => {
      const p = new Float32Array(r * r).fill(-1)
      for (let y = y0; y < y0 + h; y++) for (let x = x0; x < x0 + w; x++) p[y * r + x] = 1
      return p
    }
    // A 6×6 object and a 2×3 fragment inside it: IoU 6/36 = 0.17, containment 6/6 = 1.
    const all = new Float32Array(2 * r * r)
    all.set(plane(0, 0, 6, 6), 0)
    all.set(plane(1, 1, 2, 3), r * r)
    const options = { maskThreshold: 0, minMaskArea: 2, nmsIou: 0.5 }
    expect(nmsOnGrid(all, 2, r, r * r, 8, 8, { ...options, nmsContainment: 1.01 })).toEqual([0, 1])
    expect(nmsOnGrid(all, 2, r, r * r, 8, 8, { ...options, nmsContainment: 0.8 })).toEqual([0])
  })
})

describe('fragment removal', () => {
  // 6×6 grid: a 3×3 object (9 cells), a 2-cell blob, and a 1-cell blob touching the object only diagonally.
  const grid = (): Float32Array => {
    const p = new Float32Array(36).fill(-3)
    for (let y = 0; y < 3; y++) for (let x = 0; x < 3; x++) p[y * 6 + x] = 2
    p[5] = 1.5
    p[11] = -5 + 10 // (1, 5): joins (0, 5) into one 2-cell blob
    p[3 * 6 + 3] = 0.5 // diagonal to (2, 2): its own component
    return p
  }

  test('keeps only the largest 4-connected component at fraction 1, pushing the rest to the floor', () => {
    const p = grid()
    removeFragments(p, 6, 0, 1)
    expect(p[0]).toBe(2)
    expect(p[5]).toBe(FRAGMENT_FLOOR)
    expect(p[11]).toBe(FRAGMENT_FLOOR)
    expect(p[21]).toBe(FRAGMENT_FLOOR)
    expect(p[35]).toBe(-3)
    expect(Array.from(p).filter((v) => v > 0)).toHaveLength(9)
  })

  test('keeps components at or above the fraction of the largest, and does nothing at fraction 0', () => {
    const p = grid()
    removeFragments(p, 6, 0, 2 / 9)
    expect(p[5]).toBe(1.5)
    expect(p[21]).toBe(FRAGMENT_FLOOR)
    const untouched = grid()
    removeFragments(untouched, 6, 0, 0)
    expect(Array.from(untouched)).toEqual(Array.from(grid()))
  })

  test('keeps logits already below the floor as they are', () => {
    const p = new Float32Array(9).fill(-30)
    p[0] = 1
    p[1] = 1
    p[8] = 0.2
    removeFragments(p, 3, 0.1, 1)
    expect(p[8]).toBe(FRAGMENT_FLOOR)
    expect(p[4]).toBe(-30)
  })
})

describe('mask channel', () => {
  test('resizes a mask nearest-neighbour into the content box as PIL does', () => {
    // 4×4 mask with the left column set, into 2×2: pixel x reads column floor((x + 0.5)·2) = 1, 3.
    const mask = new Uint8Array(16)
    for (let y = 0; y < 4; y++) mask[y * 4 + 1] = 1
    const runs = encodeRowMajor(mask, 4, 4)
    expect([...maskToContent(runs, { frame: 2, scale: 0.5, contentWidth: 2, contentHeight: 2 })]).toEqual([1, 0, 1, 0])
    expect([...maskToContent(runs, { frame: 8, scale: 2, contentWidth: 8, contentHeight: 8 }).subarray(0, 8)]).toEqual([0, 0, 1, 1, 0, 0, 0, 0])
  })
})

function decodeRowMajor(runs: Parameters<typeof decode>[0], width: number, height: number): Uint8Array {
  const columnMajor = decode(runs)
  const out = new Uint8Array(width * height)
  for (let x = 0; x < width; x++) for (let y = 0; y < height; y++) out[y * width + x] = columnMajor[x * height + y]!
  return out
}
