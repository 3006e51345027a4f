/**
 * A decoder for uncompressed Windows/OS2 BMP files.
 *
 * Why this exists: the libvips inside sharp 0.35.5 has no BMP loader (sharp reports "unsupported image
 * format" for every BMP; ImageMagick, which libvips would fall back to, is not in sharp's prebuilt
 * binaries). BMP still turns up in labelling datasets, so we decode the common variants ourselves and
 * hand sharp raw pixels: 1/4/8-bit paletted, 16-bit (5-5-5 or bit-fields), 24-bit, and 32-bit
 * (BGRX, BGRA or bit-fields), bottom-up or top-down, with the 12-byte OS/2 header and the 40/52/56/64/
 * 108/124-byte Windows headers. RLE, embedded JPEG/PNG and CMYK variants are rare and are reported as
 * unsupported instead of being guessed at.
 */

/** What went wrong reading a BMP: cut short, inconsistent, or a variant this decoder does not read. */
export type BmpErrorKind = 'truncated' | 'corrupt' | 'unsupported'

/** A BMP that cannot be decoded, with the kind of problem. */
export class BmpError extends Error {
  override readonly name = 'BmpError'
  constructor(
    readonly kind: BmpErrorKind,
    message: string,
    /** For 'unsupported': the variant, e.g. "RLE8 compression". */
    readonly variant?: string
  ) {
    super(message)
  }
}

/** The header fields of a BMP that decide how to read its pixels. */
export interface BmpHeader {
  readonly width: number
  readonly height: number
  readonly bitsPerPixel: number
  readonly topDown: boolean
  readonly compression: number
}

/** Decoded pixels, top row first, RGB or RGBA interleaved. */
export interface BmpPixels {
  readonly width: number
  readonly height: number
  readonly channels: 3 | 4
  readonly data: Buffer
}

const BI_RGB = 0
const BI_BITFIELDS = 3
const BI_ALPHABITFIELDS = 6
const COMPRESSION_NAMES: Readonly<Record<number, string>> = {
  1: 'RLE8',
  2: 'RLE4',
  4: 'embedded JPEG',
  5: 'embedded PNG',
  11: 'CMYK',
  12: 'CMYK RLE8',
  13: 'CMYK RLE4'
}

interface Layout extends BmpHeader {
  readonly headerSize: number
  readonly pixelOffset: number
  readonly colorsUsed: number
}

function readLayout(buf: Buffer): Layout {
  if (buf.length < 26 || buf[0] !== 0x42 || buf[1] !== 0x4d) throw new BmpError('corrupt', 'not a BMP file')
  const pixelOffset = buf.readUInt32LE(10)
  const headerSize = buf.readUInt32LE(14)
  if (headerSize === 12) {
    // OS/2 1.x BITMAPCOREHEADER: 16-bit sizes, always bottom-up and uncompressed.
    return {
      headerSize,
      pixelOffset,
      width: buf.readUInt16LE(18),
      height: buf.readUInt16LE(20),
      bitsPerPixel: buf.readUInt16LE(24),
      topDown: false,
      compression: BI_RGB,
      colorsUsed: 0
    }
  }
  if (![40, 52, 56, 64, 108, 124].includes(headerSize)) {
    throw new BmpError('corrupt', `corrupt BMP header: unknown header size ${headerSize}`)
  }
  if (buf.length < 14 + 40) throw new BmpError('truncated', 'BMP header is truncated')
  const rawHeight = buf.readInt32LE(22)
  return {
    headerSize,
    pixelOffset,
    width: buf.readInt32LE(18),
    height: Math.abs(rawHeight),
    bitsPerPixel: buf.readUInt16LE(28),
    topDown: rawHeight < 0,
    compression: buf.readUInt32LE(30),
    colorsUsed: buf.readUInt32LE(46)
  }
}

/** Reads and checks a BMP's header without touching its pixels (cheap: use it to apply a pixel limit first). */
export function readBmpHeader(buf: Buffer): BmpHeader {
  const { width, height, bitsPerPixel, topDown, compression } = readLayout(buf)
  if (width <= 0 || height <= 0) throw new BmpError('corrupt', `corrupt BMP header: size ${width}×${height}`)
  const name = COMPRESSION_NAMES[compression]
  if (name !== undefined) throw new BmpError('unsupported', `unsupported BMP variant: ${name} compression`, `${name} compression`)
  if (compression !== BI_RGB && compression !== BI_BITFIELDS && compression !== BI_ALPHABITFIELDS) {
    throw new BmpError('corrupt', `corrupt BMP header: unknown compression ${compression}`)
  }
  if (![1, 4, 8, 16, 24, 32].includes(bitsPerPixel)) {
    throw new BmpError('corrupt', `corrupt BMP header: ${bitsPerPixel} bits per pixel`)
  }
  if (compression !== BI_RGB && bitsPerPixel !== 16 && bitsPerPixel !== 32) {
    throw new BmpError('corrupt', `corrupt BMP header: bit-fields with ${bitsPerPixel} bits per pixel`)
  }
  return { width, height, bitsPerPixel, topDown, compression }
}

/** One colour channel packed in a 16/32-bit pixel: where it sits and how to widen it to 8 bits. */
interface Channel {
  readonly mask: number
  readonly shift: number
  readonly max: number
}

function channel(mask: number): Channel {
  const m = mask >>> 0
  if (m === 0) return { mask: 0, shift: 0, max: 0 }
  let shift = 0
  while (((m >>> shift) & 1) === 0) shift++
  return { mask: m, shift, max: m >>> shift }
}

function extract(pixel: number, c: Channel): number {
  if (c.max === 0) return 0
  const v = (pixel & c.mask) >>> c.shift
  return c.max === 255 ? v : Math.round((v * 255) / c.max)
}

function masks(buf: Buffer, layout: Layout): { r: Channel; g: Channel; b: Channel; a: Channel } {
  const { compression, bitsPerPixel, headerSize } = layout
  if (compression === BI_RGB) {
    // Without bit-fields, 16-bit is 5-5-5 and 32-bit is BGRX whose X byte some writers fill with alpha.
    return bitsPerPixel === 16
      ? { r: channel(0x7c00), g: channel(0x03e0), b: channel(0x001f), a: channel(0) }
      : { r: channel(0xff0000), g: channel(0xff00), b: channel(0xff), a: channel(0xff000000) }
  }
  // Masks follow the 40-byte header, or sit inside the larger headers, at the same offset either way.
  const hasAlphaMask = compression === BI_ALPHABITFIELDS || headerSize >= 56
  if (buf.length < 54 + (hasAlphaMask ? 16 : 12)) throw new BmpError('truncated', 'BMP header is truncated')
  return {
    r: channel(buf.readUInt32LE(54)),
    g: channel(buf.readUInt32LE(58)),
    b: channel(buf.readUInt32LE(62)),
    a: channel(hasAlphaMask ? buf.readUInt32LE(66) : 0)
  }
}

function palette(buf: Buffer, layout: Layout): Uint8Array {
  const entrySize = layout.headerSize === 12 ? 3 : 4
  // A 40-byte header is followed by its bit-field masks (when it has them) before the palette.
  const bitfieldBytes =
    layout.headerSize !== 40 ? 0 : layout.compression === BI_BITFIELDS ? 12 : layout.compression === BI_ALPHABITFIELDS ? 16 : 0
  const start = 14 + layout.headerSize + bitfieldBytes
  const maxColors = 1 << layout.bitsPerPixel
  const declared = layout.colorsUsed > 0 && layout.colorsUsed < maxColors ? layout.colorsUsed : maxColors
  // Some writers declare more colours than fit before the pixels; read what is there.
  const available = Math.floor((Math.min(layout.pixelOffset, buf.length) - start) / entrySize)
  const count = Math.max(0, Math.min(declared, available))
  if (count === 0) throw new BmpError('corrupt', 'corrupt BMP header: paletted image without a palette')
  // Indexes past the palette decode as black, as browsers do.
  const rgb = new Uint8Array(maxColors * 3)
  for (let i = 0; i < count; i++) {
    const at = start + i * entrySize
    rgb[i * 3] = buf[at + 2]!
    rgb[i * 3 + 1] = buf[at + 1]!
    rgb[i * 3 + 2] = buf[at]!
  }
  return rgb
}

/** Decodes an uncompressed BMP to top-down RGB, or RGBA when it carries a non-empty alpha channel. */
export function decodeBmp(buf: Buffer): BmpPixels {
  readBmpHeader(buf)
  const layout = readLayout(buf)
  const { width, height, bitsPerPixel, topDown, pixelOffset } = layout
  const stride = Math.floor((bitsPerPixel * width + 31) / 32) * 4
  const lastRowBytes = Math.ceil((bitsPerPixel * width) / 8)
  // The final row's padding is often missing; only the bytes that carry pixels must be there.
  if (pixelOffset + stride * (height - 1) + lastRowBytes > buf.length) {
    throw new BmpError('truncated', 'BMP pixel data is truncated')
  }
  const rowStart = (y: number): number => pixelOffset + stride * (topDown ? y : height - 1 - y)

  if (bitsPerPixel <= 8) {
    const colors = palette(buf, layout)
    const out = Buffer.allocUnsafe(width * height * 3)
    const perByte = 8 / bitsPerPixel
    const indexMask = (1 << bitsPerPixel) - 1
    for (let y = 0; y < height; y++) {
      const row = rowStart(y)
      let o = y * width * 3
      for (let x = 0; x < width; x++) {
        const byte = buf[row + Math.floor(x / perByte)]!
        const shift = 8 - bitsPerPixel * ((x % perByte) + 1)
        const p = ((byte >> shift) & indexMask) * 3
        out[o++] = colors[p]!
        out[o++] = colors[p + 1]!
        out[o++] = colors[p + 2]!
      }
    }
    return { width, height, channels: 3, data: out }
  }

  if (bitsPerPixel === 24) {
    const out = Buffer.allocUnsafe(width * height * 3)
    for (let y = 0; y < height; y++) {
      let i = rowStart(y)
      let o = y * width * 3
      for (let x = 0; x < width; x++, i += 3) {
        out[o++] = buf[i + 2]!
        out[o++] = buf[i + 1]!
        out[o++] = buf[i]!
      }
    }
    return { width, height, channels: 3, data: out }
  }

  const { r, g, b, a } = masks(buf, layout)
  const bytesPerPixel = bitsPerPixel / 8
  const out = Buffer.allocUnsafe(width * height * 4)
  let anyVisible = false
  let anyTranslucent = false
  for (let y = 0; y < height; y++) {
    let i = rowStart(y)
    let o = y * width * 4
    for (let x = 0; x < width; x++, i += bytesPerPixel) {
      const pixel = bytesPerPixel === 2 ? buf.readUInt16LE(i) : buf.readUInt32LE(i)
      out[o++] = extract(pixel, r)
      out[o++] = extract(pixel, g)
      out[o++] = extract(pixel, b)
      const alpha = a.max === 0 ? 255 : extract(pixel, a)
      if (alpha !== 0) anyVisible = true
      if (alpha !== 255) anyTranslucent = true
      out[o++] = alpha
    }
  }
  // Many writers leave the fourth byte zero: an image that would be fully transparent is really opaque.
  if (anyVisible && anyTranslucent) return { width, height, channels: 4, data: out }
  const rgb = Buffer.allocUnsafe(width * height * 3)
  for (let p = 0, q = 0; p < out.length; p += 4) {
    rgb[q++] = out[p]!
    rgb[q++] = out[p + 1]!
    rgb[q++] = out[p + 2]!
  }
  return { width, height, channels: 3, data: rgb }
}
