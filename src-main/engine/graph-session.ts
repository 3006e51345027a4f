/**
 * One ONNX graph ready to run, and the checks every call goes through before it reaches
 * onnxruntime. onnxruntime's own messages for a wrong feed are C++ text without the graph's name
 * ("input 'x' is missing in 'feeds'", or a shape error deep in a kernel); these checks name the
 * graph, the parameter and what was expected, as onnxruntime-js does for its own arguments.
 */
import type { Tensor } from 'onnxruntime-node'
import type { Disposable } from '../common/lifecycle'
import type { Device, ProviderName } from './providers'

/** A dimension as a graph declares it: a fixed size, or a symbol shared by inputs of the same size. */
export type Dim = number | string

/** A graph input or output as its metadata declares it. */
export interface TensorSpec {
  readonly name: string
  /** onnxruntime's type name (`float32`, `int64`, …); undefined for non-tensor values. */
  readonly type: string | undefined
  /** Undefined when the graph does not declare a shape. */
  readonly shape: readonly Dim[] | undefined
}

/** Feeds and results of a run: tensors by name. */
export type TensorMap = Record<string, Tensor>

/** Options of one run. */
export interface RunOptions {
  /** Outputs to compute; all outputs by default. */
  readonly fetches?: readonly string[]
  /** Checked before and after the run: onnxruntime cannot interrupt a run that has started. */
  readonly signal?: AbortSignal
}

/** A graph's session, created once and reused until disposed. */
export interface GraphSession extends Disposable {
  /** The graph's role, e.g. `sam-encoder`; names it in errors and status. */
  readonly graph: string
  /** The ONNX file it was loaded from. */
  readonly file: string
  /** Where it runs. */
  readonly device: Device
  /** The execution providers it was created with. */
  readonly providers: readonly ProviderName[]
  readonly inputs: readonly TensorSpec[]
  readonly outputs: readonly TensorSpec[]
  /** Checks the feeds against the graph's inputs, then runs it. */
  run(feeds: TensorMap, options?: RunOptions): Promise<TensorMap>
}

/** The figures a tensor needs for the checks; any onnxruntime Tensor has them. */
interface TensorLike {
  readonly type: string
  readonly dims: readonly number[]
  readonly data: unknown
}

function isTensorLike(value: unknown): value is TensorLike {
  // Structural, not instanceof: onnxruntime-common may be loaded twice (onnxruntime-node's and another copy).
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as TensorLike).type === 'string' &&
    Array.isArray((value as TensorLike).dims) &&
    (value as TensorLike).data !== undefined
  )
}

/**
 * Checks feeds against a graph's inputs: an object, no unknown or missing names, tensors of the
 * declared type and rank, fixed dimensions equal, and each symbolic dimension the same size in
 * every input that shares it. Throws TypeError/RangeError naming the parameter.
 */
export function checkFeeds(graph: string, inputs: readonly TensorSpec[], feeds: unknown): asserts feeds is TensorMap {
  if (typeof feeds !== 'object' || feeds === null || Array.isArray(feeds)) {
    throw new TypeError(`feeds: expected an object mapping input names of ${graph} to tensors, got ${describe(feeds)}`)
  }
  const names = inputs.map((input) => input.name)
  for (const name of Object.keys(feeds)) {
    if (!names.includes(name)) throw new RangeError(`feeds: "${name}" is not an input of ${graph} (inputs: ${names.join(', ')})`)
  }
  const symbols = new Map<string, { size: number; input: string }>()
  for (const input of inputs) {
    const value = (feeds as Record<string, unknown>)[input.name]
    if (value === undefined) throw new RangeError(`feeds: missing input "${input.name}" of ${graph}`)
    if (!isTensorLike(value)) throw new TypeError(`feeds.${input.name}: expected an onnxruntime Tensor, got ${describe(value)}`)
    if (input.type !== undefined && value.type !== input.type) {
      throw new TypeError(`feeds.${input.name}: expected a ${input.type} tensor, got ${value.type}`)
    }
    if (input.shape === undefined) continue
    if (value.dims.length !== input.shape.length) {
      throw new RangeError(
        `feeds.${input.name}: expected ${input.shape.length} dimensions ${formatShape(input.shape)}, got ${value.dims.length} ${formatShape(value.dims)}`
      )
    }
    input.shape.forEach((want, axis) => {
      const got = value.dims[axis]!
      if (typeof want === 'number') {
        if (want >= 0 && got !== want) {
          throw new RangeError(`feeds.${input.name}: dimension ${axis} must be ${want} ${formatShape(input.shape!)}, got ${formatShape(value.dims)}`)
        }
        return
      }
      const seen = symbols.get(want)
      if (seen === undefined) symbols.set(want, { size: got, input: input.name })
      else if (seen.size !== got) {
        throw new RangeError(
          `feeds.${input.name}: dimension ${axis} (${want}) is ${got} but ${want} is ${seen.size} in feeds.${seen.input}`
        )
      }
    })
  }
}

/** Checks requested outputs against a graph's outputs; throws RangeError naming the unknown one. */
export function checkFetches(graph: string, outputs: readonly TensorSpec[], fetches: unknown): asserts fetches is readonly string[] {
  if (!Array.isArray(fetches)) throw new TypeError(`fetches: expected an array of output names of ${graph}, got ${describe(fetches)}`)
  const names = outputs.map((output) => output.name)
  if (fetches.length === 0) throw new RangeError(`fetches: must name at least one output of ${graph} (outputs: ${names.join(', ')})`)
  for (const name of fetches) {
    if (typeof name !== 'string' || !names.includes(name)) {
      throw new RangeError(`fetches: ${describe(name)} is not an output of ${graph} (outputs: ${names.join(', ')})`)
    }
  }
}

/** `[1,256,64,64]`, `[1,num_points,2]`. */
export function formatShape(shape: readonly Dim[]): string {
  return `[${shape.join(',')}]`
}

function describe(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'an array'
  if (typeof value === 'string') return JSON.stringify(value)
  if (typeof value === 'object') return `an object (${Object.prototype.toString.call(value).slice(8, -1)})`
  return typeof value
}
