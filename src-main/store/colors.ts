/** A stable, well-separated colour for a category name (the same name always gets the same colour). */
export function categoryColor(name: string): string {
  // FNV-1a over the lower-cased name, then spread hues by the golden angle so similar hashes still differ.
  let hash = 0x811c9dc5
  for (const ch of name.toLowerCase()) {
    hash ^= ch.codePointAt(0)!
    hash = Math.imul(hash, 0x01000193) >>> 0
  }
  const hue = (hash * 137.508) % 360
  return hslToHex(hue, 0.72, 0.56)
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
