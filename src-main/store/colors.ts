/** A stable, well-separated colour for a category name (the same name always gets the same colour). */
export function categoryColor(name: string): string {
  // FNV-1a over the lower-cased name, then murmur3's finaliser: FNV alone leaves names that share a
  // prefix or suffix ("plate", "saucer") with close high bits, which clustered their hues.
  let hash = 0x811c9dc5
  for (const ch of name.toLowerCase()) {
    hash ^= ch.codePointAt(0)!
    hash = Math.imul(hash, 0x01000193) >>> 0
  }
  hash ^= hash >>> 16
  hash = Math.imul(hash, 0x85ebca6b) >>> 0
  hash ^= hash >>> 13
  hash = Math.imul(hash, 0xc2b2ae35) >>> 0
  hash ^= hash >>> 16
  // Hue from the low bits, saturation and lightness from others, so two names rarely share all three.
  const hue = (hash & 0xffff) * (360 / 0x10000)
  const saturation = 0.6 + ((hash >>> 16) & 0xff) / 255 * 0.25
  const lightness = 0.5 + ((hash >>> 24) & 0xff) / 255 * 0.14
  return hslToHex(hue, saturation, lightness)
}

function hslToHex(h: number, s: number, l: number): string {
  const a = s * Math.min(l, 1 - l)
  const channel = (n: number) => {
    const k = (n + h / 30) % 12
    const value = l - a * Math.max(-1, Math.min(k - 3, 9 - k, 1))
    return Math.round(value * 255)
      .toString(16)
      .padStart(2, '0')
  }
  return `#${channel(0)}${channel(8)}${channel(4)}`
}
