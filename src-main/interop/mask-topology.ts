import type { RleRuns } from '../masks/rle'

/** How many separate parts and holes a mask has. */
export interface MaskTopology {
  /** 4-connected foreground parts. */
  readonly parts: number
  /** Background regions enclosed by the mask (8-connected, as mask-contours traces them). */
  readonly holes: number
}

/**
 * Counts parts and holes straight from the runs, without decoding pixels, so an export preview can
 * count instances with holes over a whole project. Each column's foreground runs are vertices, runs of
 * neighbouring columns that share a row are edges; the foreground is then a graph up to homotopy, whose
 * cycles are the holes: holes = edges − vertices + parts.
 */
export function maskTopology(runs: RleRuns): MaskTopology {
  const [h] = runs.size
  const counts = runs.counts
  // Foreground intervals split at column ends: column, first row, end row (exclusive).
  const col: number[] = []
  const y0: number[] = []
  const y1: number[] = []
  let pos = 0
  for (let j = 0; j < counts.length; j++) {
    const n = counts[j]!
    if ((j & 1) === 1 && n > 0) {
      let start = pos
      const end = pos + n
      while (start < end) {
        const c = Math.floor(start / h)
        const columnEnd = Math.min(end, (c + 1) * h)
        col.push(c)
        y0.push(start - c * h)
        y1.push(columnEnd - c * h)
        start = columnEnd
      }
    }
    pos += n
  }
  const v = col.length
  if (v === 0) return { parts: 0, holes: 0 }
  const parent = new Int32Array(v)
  for (let i = 0; i < v; i++) parent[i] = i
  const find = (i: number): number => {
    while (parent[i] !== i) {
      parent[i] = parent[parent[i]!]!
      i = parent[i]!
    }
    return i
  }
  let edges = 0
  let parts = v
  // Intervals are in column order, then row order: walk each pair of neighbouring columns with two pointers.
  let a = 0
  while (a < v) {
    const c = col[a]!
    let aEnd = a
    while (aEnd < v && col[aEnd] === c) aEnd++
    let b = aEnd
    let bEnd = b
    while (bEnd < v && col[bEnd] === c + 1) bEnd++
    let i = a
    let k = b
    while (i < aEnd && k < bEnd) {
      if (y0[i]! < y1[k]! && y0[k]! < y1[i]!) {
        edges++
        const ri = find(i)
        const rk = find(k)
        if (ri !== rk) {
          parent[ri] = rk
          parts--
        }
      }
      if (y1[i]! <= y1[k]!) i++
      else k++
    }
    a = aEnd
  }
  return { parts, holes: edges - v + parts }
}
