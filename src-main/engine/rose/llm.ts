/**
 * The LLM stages around `session.run` (model-pack.md sections 3.1, 3.2, 6.2, 6.3): token embeddings,
 * the splice of vectors at the placeholder, one prefill of the whole prompt with an empty cache, and
 * greedy decoding of many sequences at once with the KV cache. Sizes, the cache dtype, the attention
 * values and the stop token all come from the manifest.
 */
import type { Tensor } from 'onnxruntime-node'
import { throwIfAborted } from '../../common/errors'
import type { GraphSession, TensorMap } from '../graph-session'
import type { PackManifest } from '../pack/manifest'
import { promptAttentionValue } from './prompt'
import { emptyCache, floatData, floatTensor, int64Tensor } from './tensors'

/** Accumulates the time of each `session.run`, per graph. */
export class RunClock {
  private readonly byGraph = new Map<string, number>()

  /** Runs a graph and records how long `session.run` took. */
  async run(session: GraphSession, graph: string, feeds: TensorMap, fetches: readonly string[] | undefined, signal: AbortSignal | undefined): Promise<TensorMap> {
    const start = performance.now()
    const out = await session.run(feeds, { ...(fetches ? { fetches } : {}), ...(signal ? { signal } : {}) })
    this.byGraph.set(graph, (this.byGraph.get(graph) ?? 0) + performance.now() - start)
    return out
  }

  /** Records a run made elsewhere (the SAM encoder inside prepare). */
  add(graph: string, ms: number): void {
    this.byGraph.set(graph, (this.byGraph.get(graph) ?? 0) + ms)
  }

  /** Milliseconds per graph. */
  runs(): Record<string, number> {
    return Object.fromEntries(this.byGraph)
  }

  /** Milliseconds of all runs together. */
  total(): number {
    let sum = 0
    for (const ms of this.byGraph.values()) sum += ms
    return sum
  }
}

/** The graphs the LLM stages use. */
export interface LlmGraphs {
  readonly embed: GraphSession
  readonly decoder: GraphSession
}

/** `embed_tokens` on one id sequence → `[n, D]` float32 rows. */
export async function embedIds(graphs: LlmGraphs, ids: readonly number[], clock: RunClock, signal?: AbortSignal): Promise<Float32Array> {
  if (ids.length === 0) return new Float32Array(0)
  const out = await clock.run(graphs.embed, 'embed_tokens', { input_ids: int64Tensor(ids, [1, ids.length]) }, ['inputs_embeds'], signal)
  return floatData(out['inputs_embeds']!)
}

/**
 * The expanded sequence of section 3.1 step 3: the prompt's token rows before the placeholder, the
 * inserted rows, then the rest. `tokenRows` are the embeddings of the ids without the placeholder.
 */
export function spliceRows(tokenRows: Float32Array, placeholder: number, inserted: Float32Array, width: number): Float32Array {
  const before = placeholder * width
  const out = new Float32Array(tokenRows.length + inserted.length)
  out.set(tokenRows.subarray(0, before), 0)
  out.set(inserted, before)
  out.set(tokenRows.subarray(before), before + inserted.length)
  return out
}

function cacheFeeds(manifest: PackManifest, batch: number): TensorMap {
  const { llm_layers: layers, llm_kv_heads: heads, llm_head_dim: dim } = manifest.sizes
  const feeds: TensorMap = {}
  for (let i = 0; i < layers; i++) {
    feeds[`past_key_values.${i}.key`] = emptyCache(manifest.llm.kv_cache_dtype, batch, heads, dim)
    feeds[`past_key_values.${i}.value`] = emptyCache(manifest.llm.kv_cache_dtype, batch, heads, dim)
  }
  return feeds
}

function presentNames(manifest: PackManifest): string[] {
  const names: string[] = []
  for (let i = 0; i < manifest.sizes.llm_layers; i++) names.push(`present.${i}.key`, `present.${i}.value`)
  return names
}

/**
 * Prefill of one expanded prompt (`[T, D]` rows) with an empty cache, every position at the
 * prompt's attention value; returns `last_hidden_state` `[T, D]` (the patch analyzer's input).
 * Only that output is fetched: the logits of a long prompt would be T × vocab floats.
 */
export async function prefillHidden(graphs: LlmGraphs, manifest: PackManifest, rows: Float32Array, clock: RunClock, signal?: AbortSignal): Promise<Float32Array> {
  const width = manifest.sizes.hidden_size
  const length = rows.length / width
  const value = promptAttentionValue(manifest)
  const dtype = manifest.graphs.llm_decoder!.inputs['inputs_embeds']!.dtype
  const out = await clock.run(
    graphs.decoder,
    'llm_decoder',
    {
      inputs_embeds: floatTensor(dtype, rows, [1, length, width]),
      attention_mask: int64Tensor(new Array<number>(length).fill(value), [1, length]),
      position_ids: int64Tensor(Array.from({ length }, (_, i) => i), [1, length]),
      ...cacheFeeds(manifest, 1)
    },
    ['last_hidden_state'],
    signal
  )
  return floatData(out['last_hidden_state']!)
}

// Above this many logits bytes per prefill call, the batch is split (a 7 B vocabulary is 152 k wide).
const LOGITS_BUDGET_BYTES = 256 * 1024 * 1024

/**
 * Greedy decoding (section 3.2) of `batch` sequences that share one prompt length: `rows` holds
 * their expanded prompts back to back (`[batch, T, D]`). Prefill with an empty cache, then one token
 * per step fed back through `embed_tokens` with the `present.*` outputs as the next past; a sequence
 * ends at `eos_token_id`; all end after `category_max_new_tokens`. Returns each sequence's ids before EOS.
 */
export async function greedyDecode(
  graphs: LlmGraphs,
  manifest: PackManifest,
  rows: Float32Array,
  batch: number,
  clock: RunClock,
  signal?: AbortSignal
): Promise<number[][]> {
  const width = manifest.sizes.hidden_size
  const length = rows.length / (batch * width)
  if (!Number.isInteger(length)) throw new RangeError(`rows: ${rows.length} values do not make ${batch} sequences of width ${width}`)
  const perRow = length * manifest.sizes.vocab_size * 4
  const chunk = Math.max(1, Math.floor(LOGITS_BUDGET_BYTES / perRow))
  const out: number[][] = []
  for (let start = 0; start < batch; start += chunk) {
    const size = Math.min(chunk, batch - start)
    const part = rows.subarray(start * length * width, (start + size) * length * width)
    out.push(...(await decodeChunk(graphs, manifest, part, size, length, clock, signal)))
  }
  return out
}

async function decodeChunk(
  graphs: LlmGraphs,
  manifest: PackManifest,
  rows: Float32Array,
  batch: number,
  length: number,
  clock: RunClock,
  signal: AbortSignal | undefined
): Promise<number[][]> {
  const { hidden_size: width, vocab_size: vocab } = manifest.sizes
  const maxNew = manifest.inference.category_max_new_tokens
  const eos = manifest.tokenizer.eos_token_id
  const dtype = manifest.graphs.llm_decoder!.inputs['inputs_embeds']!.dtype
  const presents = presentNames(manifest)
  const mask: number[] = []
  const value = promptAttentionValue(manifest)
  for (let b = 0; b < batch; b++) for (let t = 0; t < length; t++) mask.push(value)
  let maskWidth = length
  let out = await clock.run(
    graphs.decoder,
    'llm_decoder',
    {
      inputs_embeds: floatTensor(dtype, rows, [batch, length, width]),
      attention_mask: int64Tensor(mask, [batch, length]),
      position_ids: int64Tensor(Array.from({ length: batch * length }, (_, i) => i % length), [batch, length]),
      ...cacheFeeds(manifest, batch)
    },
    ['logits', ...presents],
    signal
  )
  let logits = floatData(out['logits']!)
  let stride = length * vocab
  let lastOffset = (length - 1) * vocab
  const ids: number[][] = Array.from({ length: batch }, () => [])
  const done = new Array<boolean>(batch).fill(false)
  for (let step = 0; step < maxNew; step++) {
    throwIfAborted(signal)
    const next = new Array<number>(batch)
    for (let b = 0; b < batch; b++) {
      const base = b * stride + lastOffset
      let best = 0
      let bestValue = logits[base]!
      for (let v = 1; v < vocab; v++) {
        const x = logits[base + v]!
        if (x > bestValue) {
          bestValue = x
          best = v
        }
      }
      next[b] = best
      if (!done[b]) {
        if (best === eos) done[b] = true
        else ids[b]!.push(best)
      }
    }
    if (done.every(Boolean) || step === maxNew - 1) break
    const embedded = await clock.run(graphs.embed, 'embed_tokens', { input_ids: int64Tensor(next, [batch, 1]) }, ['inputs_embeds'], signal)
    const past: Record<string, Tensor> = {}
    for (let i = 0; i < manifest.sizes.llm_layers; i++) {
      past[`past_key_values.${i}.key`] = out[`present.${i}.key`]!
      past[`past_key_values.${i}.value`] = out[`present.${i}.value`]!
    }
    const nextMask: number[] = []
    for (let b = 0; b < batch; b++) {
      for (let t = 0; t < maskWidth; t++) nextMask.push(t < length ? value : 1)
      nextMask.push(1)
    }
    maskWidth++
    out = await clock.run(
      graphs.decoder,
      'llm_decoder',
      {
        inputs_embeds: floatTensor(dtype, floatData(embedded['inputs_embeds']!), [batch, 1, width]),
        attention_mask: int64Tensor(nextMask, [batch, maskWidth]),
        position_ids: int64Tensor(new Array<number>(batch).fill(length + step), [batch, 1]),
        ...past
      },
      ['logits', ...presents],
      signal
    )
    logits = floatData(out['logits']!)
    stride = vocab
    lastOffset = 0
  }
  return ids
}
