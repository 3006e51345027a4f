/**
 * From the patch analyzer's objectness to the patches that become objects (model-pack.md 7.1 step 2)
 * and the super-patch role of each patch (section 9). Pure functions over plain arrays.
 */

/** The logistic function; objectness scores are sigmoid(objectness_logits). */
export function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x))
}

/**
 * Patches by score descending (ties: lower index first), the first `topN` of them, those under
 * `threshold` dropped — in that order, so the result is the trainer's `kept` list.
 */
export function selectPatches(scores: ArrayLike<number>, topN: number, threshold: number): number[] {
  if (!Number.isInteger(topN) || topN < 0) throw new RangeError(`topN: expected a non-negative integer, got ${topN}`)
  const order = Array.from({ length: scores.length }, (_, i) => i)
  order.sort((a, b) => scores[b]! - scores[a]! || a - b)
  return order.slice(0, topN).filter((i) => scores[i]! >= threshold)
}

/**
 * The `k` best patches with no threshold (refinement and referring keep `refine_top_k`): argmax
 * first, ties by lower index, as torch.argmax returns the first maximum.
 */
export function topPatches(logits: ArrayLike<number>, k: number): number[] {
  return selectPatches(logits, k, -Infinity)
}

/** The role of patch (row h, column w) of the S×S grid: `layout[h % size][w % size]`. */
export function roleOfPatch(patch: number, grid: number, layout: readonly (readonly string[])[]): string {
  const size = layout.length
  const h = Math.floor(patch / grid)
  const w = patch % grid
  return layout[h % size]![w % size]!
}
