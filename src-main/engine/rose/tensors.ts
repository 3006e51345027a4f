/**
 * Small tensor helpers for the pipeline stages: reading a float output whatever its declared dtype
 * (float16 packs hand back IEEE half floats as Uint16Array), building float inputs in the dtype a
 * graph declares, and the empty key/value cache of a prefill (past length 0, section 6.3).
 */
import { Tensor } from 'onnxruntime-node'
import type { PackDtype } from '../pack/manifest'

/** A float tensor's values as float32, converting from float16 when needed. */
export function floatData(tensor: Tensor): Float32Array {
  if (tensor.type === 'float32') return tensor.data as Float32Array
  if (tensor.type === 'float16') return halfToFloat(tensor.data as Uint16Array)
  throw new TypeError(`tensor: expected float32 or float16 data, got ${tensor.type}`)
}

/** A float input in the dtype a graph declares (`float32` or `float16`). */
export function floatTensor(dtype: PackDtype, data: Float32Array, dims: readonly number[]): Tensor {
  if (dtype === 'float32') return new Tensor('float32', data, [...dims])
  if (dtype === 'float16') return new Tensor('float16', floatToHalf(data), [...dims])
  throw new TypeError(`dtype: expected float32 or float16, got ${dtype}`)
}

/** An int64 tensor from numbers. */
export function int64Tensor(values: ArrayLike<number>, dims: readonly number[]): Tensor {
  const data = new BigInt64Array(values.length)
  for (let i = 0; i < values.length; i++) data[i] = BigInt(values[i]!)
  return new Tensor('int64', data, [...dims])
}

/** A `[batch, heads, 0, headDim]` past key/value of the cache dtype: what a prefill receives. */
export function emptyCache(dtype: 'float32' | 'float16', batch: number, heads: number, headDim: number): Tensor {
  return dtype === 'float32'
    ? new Tensor('float32', new Float32Array(0), [batch, heads, 0, headDim])
    : new Tensor('float16', new Uint16Array(0), [batch, heads, 0, headDim])
}

/** IEEE 754 binary16 → float32. */
export function halfToFloat(half: Uint16Array): Float32Array {
  const out = new Float32Array(half.length)
  for (let i = 0; i < half.length; i++) {
    const h = half[i]!
    const sign = h & 0x8000 ? -1 : 1
    const exp = (h >> 10) & 0x1f
    const frac = h & 0x3ff
    out[i] = exp === 0 ? sign * frac * 2 ** -24 : exp === 31 ? (frac ? NaN : sign * Infinity) : sign * (1 + frac / 1024) * 2 ** (exp - 15)
  }
  return out
}

/** float32 → IEEE 754 binary16, rounding to nearest even. */
export function floatToHalf(values: Float32Array): Uint16Array {
  const out = new Uint16Array(values.length)
  const f = new Float32Array(1)
  const u = new Uint32Array(f.buffer)
  for (let i = 0; i < values.length; i++) {
    f[0] = values[i]!
    const x = u[0]!
    const sign = (x >>> 16) & 0x8000
    const exp = (x >>> 23) & 0xff
    let mant = x & 0x7fffff
    if (exp === 0xff) {
      out[i] = sign | 0x7c00 | (mant ? 0x200 : 0)
      continue
    }
    const e = exp - 127 + 15
    if (e >= 31) {
      out[i] = sign | 0x7c00
      continue
    }
    if (e <= 0) {
      if (e < -10) {
        out[i] = sign
        continue
      }
      mant |= 0x800000
      const shift = 14 - e
      let h = mant >>> shift
      const rem = mant & ((1 << shift) - 1)
      const half = 1 << (shift - 1)
      if (rem > half || (rem === half && (h & 1))) h++
      out[i] = sign | h
      continue
    }
    let h = (e << 10) | (mant >>> 13)
    const rem = mant & 0x1fff
    if (rem > 0x1000 || (rem === 0x1000 && (h & 1))) h++
    out[i] = sign | h
  }
  return out
}
