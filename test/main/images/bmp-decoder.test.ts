import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import sharp from 'sharp'
import { describe, expect, it } from 'vitest'
import { BmpError, decodeBmp, readBmpHeader } from '../../../src-main/images/bmp-decoder'

const FIXTURES = join(__dirname, '../../fixtures/images/bmp')

/** Decoded pixels widened to RGBA, for comparison with the expected PNG. */
function toRgba(decoded: ReturnType<typeof decodeBmp>): Buffer {
  if (decoded.channels === 4) return decoded.data
  const out = Buffer.alloc(decoded.width * decoded.height * 4)
  for (let p = 0, q = 0; p < decoded.data.length; p += 3, q += 4) {
    out[q] = decoded.data[p]!
    out[q + 1] = decoded.data[p + 1]!
    out[q + 2] = decoded.data[p + 2]!
    out[q + 3] = 255
  }
  return out
}

async function expectedRgba(name: string): Promise<{ data: Buffer; width: number; height: number }> {
  const { data, info } = await sharp(join(FIXTURES, `${name}.expected.png`)).ensureAlpha().raw().toBuffer({ resolveWithObject: true })
  return { data, width: info.width, height: info.height }
}

describe('decodeBmp', () => {
  // Expected pixels are Pillow's decoding of each file (see make_bmp_fixtures.py).
  it.each([
    ['rgb24', 3],
    ['pal8', 3],
    ['gray8', 3],
    ['mono1', 3],
    ['mono1-black', 3],
    ['pal4', 3],
    ['topdown24', 3],
    ['os2-24', 3],
    ['bgrx32', 3],
    ['v5-argb32', 4]
  ] as const)('decodes %s exactly as Pillow does', async (name, channels) => {
    const decoded = decodeBmp(await readFile(join(FIXTURES, `${name}.bmp`)))
    const expected = await expectedRgba(name)
    expect([decoded.width, decoded.height, decoded.channels]).toEqual([expected.width, expected.height, channels])
    expect(toRgba(decoded).equals(expected.data)).toBe(true)
  })

  // Widening 5- and 6-bit channels to 8 bits: Pillow truncates v×255/31, browsers replicate the high
  // bits, we round; all three agree to within one level.
  it.each(['rgb555', 'rgb565'])('decodes 16-bit %s to within one level of Pillow', async (name) => {
    const decoded = decodeBmp(await readFile(join(FIXTURES, `${name}.bmp`)))
    const expected = await expectedRgba(name)
    const actual = toRgba(decoded)
    const largestDifference = Math.max(...expected.data.map((value, i) => Math.abs(value - actual[i]!)))
    expect(decoded.channels).toBe(3)
    expect(largestDifference).toBe(1)
  })

  it('reads width, height, depth and row order from the header alone', async () => {
    expect(readBmpHeader(await readFile(join(FIXTURES, 'topdown24.bmp')))).toEqual({
      width: 7,
      height: 5,
      bitsPerPixel: 24,
      topDown: true,
      compression: 0
    })
  })

  it('EXPECTED FAILURE – reports RLE8 compression as an unsupported variant', async () => {
    const bytes = await readFile(join(FIXTURES, 'rle8.bmp'))
    expect(() => decodeBmp(bytes)).toThrow('unsupported BMP variant: RLE8 compression')
    expect(() => decodeBmp(bytes)).toThrow(expect.objectContaining({ kind: 'unsupported', variant: 'RLE8 compression' }))
  })

  it('EXPECTED FAILURE – reports a file cut inside its pixel rows as truncated', async () => {
    const bytes = await readFile(join(FIXTURES, 'rgb24.bmp'))
    let error: unknown
    try {
      decodeBmp(bytes.subarray(0, bytes.length - 30))
    } catch (e) {
      error = e
    }
    expect(error).toBeInstanceOf(BmpError)
    expect((error as BmpError).kind).toBe('truncated')
  })

  it('accepts a file whose last row lacks its padding', async () => {
    const bytes = await readFile(join(FIXTURES, 'rgb24.bmp'))
    // 7 pixels × 3 bytes = 21 bytes per row, padded to 24: the last 3 bytes are padding only.
    const decoded = decodeBmp(bytes.subarray(0, bytes.length - 3))
    expect(toRgba(decoded).equals((await expectedRgba('rgb24')).data)).toBe(true)
  })

  it('EXPECTED FAILURE – rejects a header with an unknown size as corrupt', async () => {
    const bytes = Buffer.from(await readFile(join(FIXTURES, 'rgb24.bmp')))
    bytes.writeUInt32LE(77, 14)
    expect(() => readBmpHeader(bytes)).toThrow('corrupt BMP header: unknown header size 77')
  })

  it('EXPECTED FAILURE – rejects a zero width as corrupt', async () => {
    const bytes = Buffer.from(await readFile(join(FIXTURES, 'rgb24.bmp')))
    bytes.writeInt32LE(0, 18)
    expect(() => readBmpHeader(bytes)).toThrow('corrupt BMP header: size 0×5')
  })
})
