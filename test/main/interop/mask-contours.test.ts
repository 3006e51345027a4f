import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { traceMask } from '../../../src-main/interop/mask-contours'
import { joinRings, maskToPolygons, polygonFidelity, simplifyRing } from '../../../src-main/interop/mask-polygons'
import { maskTopology } from '../../../src-main/interop/mask-topology'
import { encodeRowMajor, frPolygons, toString, type RleRuns } from '../../../src-main/masks/rle'
import { ellipses, randomMask } from './project-factory'

// Made with pycocotools; CI clones the repo beside shared/.
const vectorsPath = fileURLToPath(new URL('../../../../shared/fixtures/coco-rle/vectors.json', import.meta.url))
const vectors = JSON.parse(readFileSync(vectorsPath, 'utf8')) as {
  masks: { kind: string; size: [number, number]; counts_uncompressed: number[] }[]
}

const runsOf = (mask: Uint8Array, h: number, w: number): RleRuns => encodeRowMajor(mask, h, w)
const same = (a: RleRuns, b: RleRuns) => toString(a) === toString(b)

// A 5x5 square with its centre pixel missing: one part, one hole.
const donut = (() => {
  const m = new Uint8Array(25)
  for (let y = 0; y < 5; y++) for (let x = 0; x < 5; x++) m[y * 5 + x] = x >= 1 && x <= 3 && y >= 1 && y <= 3 && !(x === 2 && y === 2) ? 1 : 0
  return m
})()

describe('traceMask', () => {
  it('traces a filled square as its four pixel corners', () => {
    const m = new Uint8Array(16)
    for (const i of [5, 6, 9, 10]) m[i] = 1
    const traced = traceMask(runsOf(m, 4, 4))
    expect(traced).toMatchObject({ parts: 1, holes: 0 })
    expect(traced.rings).toEqual([[1, 1, 3, 1, 3, 3, 1, 3]])
  })

  it('cuts a hole into its outline with a vertical cut that adds no pixel', () => {
    const traced = traceMask(runsOf(donut, 5, 5))
    expect(traced).toMatchObject({ parts: 1, holes: 1 })
    // Outline from (1,1) clockwise, down the cut at x=2 to the hole, round the hole, back up.
    expect(traced.rings).toEqual([[1, 1, 2, 1, 2, 2, 2, 3, 3, 3, 3, 2, 2, 2, 2, 1, 4, 1, 4, 4, 1, 4]])
    expect(same(frPolygons(traced.rings, 5, 5), runsOf(donut, 5, 5))).toBe(true)
  })

  it('drops holes when asked and still counts them', () => {
    const traced = traceMask(runsOf(donut, 5, 5), 'drop')
    expect(traced).toMatchObject({ parts: 1, holes: 1, rings: [[1, 1, 4, 1, 4, 4, 1, 4]] })
  })

  it('keeps pixels that touch only at a corner as separate parts', () => {
    const m = new Uint8Array([1, 0, 0, 1])
    const traced = traceMask(runsOf(m, 2, 2))
    expect(traced.parts).toBe(2)
    expect(traced.rings).toHaveLength(2)
    expect(same(frPolygons(traced.rings, 2, 2), runsOf(m, 2, 2))).toBe(true)
  })

  it('gives no ring for an empty mask', () => {
    expect(traceMask(runsOf(new Uint8Array(12), 3, 4))).toEqual({ rings: [], pinned: [], parts: 0, holes: 0 })
  })

  it('rasterises back to the same pixels under pycocotools rules for 300 random masks with holes and corner touches', () => {
    for (let seed = 1; seed <= 300; seed++) {
      const h = 1 + (seed % 23)
      const w = 1 + ((seed * 7) % 29)
      const runs = runsOf(randomMask(h, w, seed), h, w)
      const traced = traceMask(runs)
      if (traced.rings.length === 0) continue
      expect(same(frPolygons(traced.rings, h, w), runs), `seed ${seed} (${h}x${w})`).toBe(true)
    }
  })

  it.each(vectors.masks.filter((v) => v.counts_uncompressed.length > 1 && v.size[0] * v.size[1] <= 480 * 640))(
    'rasterises the pycocotools vector mask "$kind" $size back exactly',
    (v) => {
      const runs: RleRuns = { size: v.size, counts: Uint32Array.from(v.counts_uncompressed) }
      const traced = traceMask(runs)
      if (traced.rings.length === 0) return
      expect(same(frPolygons(traced.rings, v.size[0], v.size[1]), runs)).toBe(true)
    }
  )
})

describe('maskTopology', () => {
  it('counts one part and one hole in a donut', () => {
    expect(maskTopology(runsOf(donut, 5, 5))).toEqual({ parts: 1, holes: 1 })
  })

  it('agrees with the traced outline on 300 random masks', () => {
    for (let seed = 1; seed <= 300; seed++) {
      const h = 1 + (seed % 19)
      const w = 1 + ((seed * 5) % 31)
      const runs = runsOf(randomMask(h, w, seed + 1000), h, w)
      const traced = traceMask(runs)
      expect(maskTopology(runs), `seed ${seed}`).toEqual({ parts: traced.parts, holes: traced.holes })
    }
  })
})

describe('polygon simplification and joining', () => {
  const h = 120
  const w = 160
  const blob = runsOf(ellipses(h, w, [{ cx: 80, cy: 60, rx: 60, ry: 40 }, { cx: 80, cy: 60, rx: 20, ry: 12, hole: true }]), h, w)

  it('keeps an exact outline at tolerance 0 and loses little at tolerance 1', () => {
    const exact = maskToPolygons(blob, { holes: 'subtract', tolerance: 0 })
    const simple = maskToPolygons(blob, { holes: 'subtract', tolerance: 1 })
    expect(polygonFidelity(blob, exact.rings)).toBe(1)
    expect(simple.rings[0]!.length).toBeLessThan(exact.rings[0]!.length / 2)
    const fidelity = polygonFidelity(blob, simple.rings)
    expect(fidelity).toBeGreaterThan(0.97)
    expect(fidelity).toBeLessThan(1)
  })

  it('keeps the cut to a hole through simplification, so the hole stays empty', () => {
    const simple = maskToPolygons(blob, { holes: 'subtract', tolerance: 2 })
    const back = frPolygons(simple.rings, h, w)
    const centre = 80 * h + 60 // column-major index of pixel (80, 60), inside the hole
    let pos = 0
    let inside = false
    for (let j = 0; j < back.counts.length; j++) {
      if (pos + back.counts[j]! > centre) {
        inside = j % 2 === 1
        break
      }
      pos += back.counts[j]!
    }
    expect(inside).toBe(false)
  })

  it('simplifies a ring but never moves a pinned vertex', () => {
    const ring = [0, 0, 5, 0.1, 10, 0, 10, 10, 5, 10.1, 0, 10]
    expect(simplifyRing(ring, new Set(), 0.5)).toEqual([0, 0, 10, 0, 10, 10, 0, 10])
    expect(simplifyRing(ring, new Set([1]), 0.5)).toEqual([0, 0, 5, 0.1, 10, 0, 10, 10, 0, 10])
  })

  it('joins parts and holes into one ring that fills to the same pixels (even-odd), for 200 random masks', () => {
    for (let seed = 1; seed <= 200; seed++) {
      const mh = 2 + (seed % 17)
      const mw = 2 + ((seed * 3) % 21)
      const runs = runsOf(randomMask(mh, mw, seed + 5000), mh, mw)
      const traced = traceMask(runs)
      if (traced.rings.length === 0) continue
      const ring = joinRings(traced.rings)
      expect(same(frPolygons([ring], mh, mw), runs), `seed ${seed}`).toBe(true)
    }
  })
})
