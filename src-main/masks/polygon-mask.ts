import { area, compress, frPolygons, toBbox, type Bbox, type Rle } from './rle'

/** A mask ready to store: compressed RLE with its area and box, as COCO computes them. */
export interface EncodedMask {
  readonly rle: Rle
  readonly area: number
  readonly bbox: Bbox
}

/**
 * Rasterises polygon rings given in image pixel coordinates into one mask exactly as the COCO API does
 * for a segmentation polygon list (`frPyObjects` then `merge`), so what we store is what COCO readers see.
 */
export function polygonsToMask(polygons: readonly (readonly number[])[], height: number, width: number): EncodedMask {
  const runs = frPolygons(polygons, height, width)
  return { rle: compress(runs), area: area(runs), bbox: toBbox(runs) }
}
