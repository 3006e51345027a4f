/** First and last row index (inclusive) to render; `last < first` when there is nothing. */
export interface RowRange {
  readonly first: number
  readonly last: number
}

/** The rows a fixed-height virtual list must render for a scroll position, with `overscan` rows either side. */
export function visibleRange(scrollTop: number, viewportHeight: number, rowHeight: number, total: number, overscan: number): RowRange {
  if (total <= 0 || rowHeight <= 0) return { first: 0, last: -1 }
  const first = Math.max(0, Math.floor(scrollTop / rowHeight) - overscan)
  const last = Math.min(total - 1, Math.ceil((scrollTop + Math.max(0, viewportHeight)) / rowHeight) + overscan)
  return { first, last: Math.max(first - 1, last) }
}
