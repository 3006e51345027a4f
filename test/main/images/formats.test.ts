import { describe, expect, it } from 'vitest'
import {
  formatFromExtension,
  formatFromSharp,
  hasSupportedExtension,
  sniffFormat,
  SUPPORTED_EXTENSIONS
} from '../../../src-main/images/formats'
import { encode, noise } from './image-factory'

describe('formats', () => {
  it('lists exactly the supported extensions', () => {
    expect([...SUPPORTED_EXTENSIONS].sort()).toEqual(['.avif', '.bmp', '.gif', '.jpeg', '.jpg', '.png', '.tif', '.tiff', '.webp'])
  })

  it('maps extensions case-insensitively', () => {
    expect(formatFromExtension('DSC_0001.JPG')).toBe('jpeg')
    expect(formatFromExtension('scan.Tif')).toBe('tiff')
    expect(formatFromExtension('a.b.avif')).toBe('avif')
    expect(formatFromExtension('notes.txt')).toBeUndefined()
    expect(formatFromExtension('README')).toBeUndefined()
    expect(hasSupportedExtension('x.gif')).toBe(true)
    expect(hasSupportedExtension('x.svg')).toBe(false)
  })

  it.each(['jpeg', 'png', 'webp', 'tiff', 'gif', 'avif'] as const)('recognises %s by its first bytes', async (format) => {
    expect(sniffFormat(await encode(noise(16, 16), format))).toBe(format)
  })

  it('recognises BMP by its first bytes and nothing in plain text', () => {
    expect(sniffFormat(Buffer.from('BM\x36\x00\x00\x00\x00\x00\x00\x00\x36\x00\x00\x00\x28\x00\x00\x00', 'latin1'))).toBe('bmp')
    expect(sniffFormat(Buffer.from('hello, this is not an image'))).toBeUndefined()
    expect(sniffFormat(Buffer.alloc(0))).toBeUndefined()
  })

  it('accepts AV1-coded HEIF as AVIF and rejects HEVC-coded HEIF and SVG', () => {
    expect(formatFromSharp('heif', 'av1')).toBe('avif')
    expect(formatFromSharp('heif', 'hevc')).toBeUndefined()
    expect(formatFromSharp('svg')).toBeUndefined()
    expect(formatFromSharp('jpeg')).toBe('jpeg')
  })
})
