/**
 * A minimal PNG writer for label images: 8-bit indexed colour with an exact palette, and 16-bit grey.
 * Written here because sharp has no way to write a given palette (its palette output quantises colours,
 * so class indices would not survive) and the rest is a few chunks around zlib.
 */
import { promisify } from 'node:util'
import { crc32, deflate } from 'node:zlib'

const deflateAsync = promisify(deflate)
const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])

/** Encodes row-major 8-bit indices with a palette of `#rrggbb` colours (index i gets palette[i]). */
export async function encodeIndexedPng(indices: Uint8Array, width: number, height: number, palette: readonly string[]): Promise<Buffer> {
  if (palette.length === 0 || palette.length > 256) throw new RangeError(`palette: needs 1 to 256 colours, got ${palette.length}`)
  const plte = Buffer.alloc(palette.length * 3)
  palette.forEach((hex, i) => {
    const value = Number.parseInt(hex.replace('#', ''), 16)
    plte[i * 3] = (value >> 16) & 0xff
    plte[i * 3 + 1] = (value >> 8) & 0xff
    plte[i * 3 + 2] = value & 0xff
  })
  const raw = Buffer.alloc((width + 1) * height)
  for (let y = 0; y < height; y++) raw.set(indices.subarray(y * width, (y + 1) * width), y * (width + 1) + 1)
  return assemble(width, height, 8, 3, raw, [chunk('PLTE', plte)])
}

/** Encodes row-major 16-bit grey values (instance numbers, or class indices past 255). */
export async function encodeGray16Png(values: Uint16Array, width: number, height: number): Promise<Buffer> {
  const raw = Buffer.alloc((width * 2 + 1) * height)
  for (let y = 0; y < height; y++) {
    let o = y * (width * 2 + 1) + 1
    for (let x = 0; x < width; x++) {
      const v = values[y * width + x]!
      raw[o++] = v >> 8
      raw[o++] = v & 0xff
    }
  }
  return assemble(width, height, 16, 0, raw, [])
}

async function assemble(width: number, height: number, depth: number, colourType: number, raw: Buffer, extra: Buffer[]): Promise<Buffer> {
  const ihdr = Buffer.alloc(13)
  ihdr.writeUInt32BE(width, 0)
  ihdr.writeUInt32BE(height, 4)
  ihdr[8] = depth
  ihdr[9] = colourType
  // Compression, filter and interlace methods 0: every row uses filter type 0 (none), written above.
  const idat = await deflateAsync(raw)
  return Buffer.concat([SIGNATURE, chunk('IHDR', ihdr), ...extra, chunk('IDAT', idat), chunk('IEND', Buffer.alloc(0))])
}

function chunk(type: string, data: Buffer): Buffer {
  const out = Buffer.alloc(12 + data.length)
  out.writeUInt32BE(data.length, 0)
  out.write(type, 4, 'ascii')
  data.copy(out, 8)
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length)
  return out
}
