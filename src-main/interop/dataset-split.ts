/** Which side of a train/val split an image is on. */
export type SplitSide = 'train' | 'val'

/**
 * The split side of an image, from its content hash and the seed. Deciding image by image from a hash
 * (rather than shuffling the list) keeps every image on the same side when the project grows or the
 * export takes other images, so a validation set stays held out across exports and fine-tune runs.
 */
export function splitSide(contentHash: string, seed: number, valFraction: number): SplitSide {
  return hashUnit(`${seed}:${contentHash}`) < valFraction ? 'val' : 'train'
}

// FNV-1a, then murmur3's finaliser so nearby inputs spread evenly, as a number in [0, 1).
function hashUnit(text: string): number {
  let h = 0x811c9dc5
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i)
    h = Math.imul(h, 0x01000193)
  }
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  h ^= h >>> 16
  return (h >>> 0) / 4294967296
}
