/**
 * The graphs' tensors three ways, checked against each other before a graph is first used:
 * what docs/model-pack.md section 6 requires (names, dtypes, and shapes in terms of `sizes`), what
 * the manifest declares (`graphs.<name>.inputs/outputs`), and what the ONNX file really has
 * (onnxruntime's input/output metadata). A disagreement is a PackError naming the file, the tensor
 * and what was expected, instead of a shape error deep inside a kernel on the first image.
 */
import { formatShape, type GraphSession, type TensorSpec } from '../graph-session'
import type { GraphDecl, GraphName, PackManifest, PackSizes, TensorDecl } from './manifest'
import { PackError } from './pack-error'

/** How the specification constrains one tensor: a dtype family and each axis. */
interface TensorRule {
  /** `float` allows float32 and float16 (fp16 packs); `kv` is `llm.kv_cache_dtype`. */
  readonly dtype: 'float' | 'int64' | 'kv'
  /** A fixed number, a `sizes` key, or `*` for a dynamic axis. */
  readonly dims: readonly (number | keyof PackSizes | '*')[]
}

interface GraphRules {
  readonly inputs: Readonly<Record<string, TensorRule>>
  readonly outputs: Readonly<Record<string, TensorRule>>
}

const f = (...dims: TensorRule['dims']): TensorRule => ({ dtype: 'float', dims })
const i64 = (...dims: TensorRule['dims']): TensorRule => ({ dtype: 'int64', dims })

/** The tensors section 6 requires of each graph, for a pack of these sizes. */
export function graphRules(sizes: PackSizes): Record<GraphName, GraphRules> {
  const llmIn: Record<string, TensorRule> = {
    inputs_embeds: f('*', '*', 'hidden_size'),
    attention_mask: i64('*', '*'),
    position_ids: i64('*', '*')
  }
  const llmOut: Record<string, TensorRule> = { logits: f('*', '*', 'vocab_size'), last_hidden_state: f('*', '*', 'hidden_size') }
  for (let i = 0; i < sizes.llm_layers; i++) {
    for (const kind of ['key', 'value']) {
      llmIn[`past_key_values.${i}.${kind}`] = { dtype: 'kv', dims: ['*', 'llm_kv_heads', '*', 'llm_head_dim'] }
      llmOut[`present.${i}.${kind}`] = { dtype: 'kv', dims: ['*', 'llm_kv_heads', '*', 'llm_head_dim'] }
    }
  }
  return {
    vision_encoder: { inputs: { pixel_values: f('*', 4, 'image_size', 'image_size') }, outputs: { image_embeds: f('*', 'num_patches', 'hidden_size') } },
    embed_tokens: { inputs: { input_ids: i64('*', '*') }, outputs: { inputs_embeds: f('*', '*', 'hidden_size') } },
    llm_decoder: { inputs: llmIn, outputs: llmOut },
    patch_analyzer: {
      inputs: { hidden_states: f('*', '*', 'hidden_size') },
      outputs: {
        objectness_logits: f('*', '*'),
        mask_embeddings: f('*', '*', 'mask_embedding_dim'),
        category_embeddings: f('*', '*', 'hidden_size'),
        siglip_embeddings: f('*', '*', 'siglip_dim')
      }
    },
    sam_encoder: {
      inputs: { pixel_values: f(1, 3, 'sam_image_size', 'sam_image_size') },
      outputs: { image_embeddings: f(1, 'sam_embedding_channels', 'sam_embedding_size', 'sam_embedding_size') }
    },
    sam_decoder: {
      inputs: {
        image_embeddings: f(1, 'sam_embedding_channels', 'sam_embedding_size', 'sam_embedding_size'),
        point_coords: f('*', '*', 2),
        point_labels: f('*', '*'),
        mask_input: f('*', 1, 'sam_mask_size', 'sam_mask_size'),
        has_mask_input: f('*'),
        prompt_embedding: f('*', 'mask_embedding_dim'),
        has_prompt_embedding: f('*')
      },
      outputs: {
        iou_predictions: f('*', 'sam_num_mask_outputs'),
        low_res_masks: f('*', 'sam_num_mask_outputs', 'sam_mask_size', 'sam_mask_size')
      }
    },
    text_encoder: { inputs: { input_ids: i64('*', '*'), attention_mask: i64('*', '*') }, outputs: { text_embeds: f('*', 'siglip_dim') } },
    category_adapter: {
      inputs: {
        category_embeddings: f('*', 'hidden_size'),
        low_res_masks: f('*', 1, 'sam_mask_size', 'sam_mask_size'),
        pixel_values: f(1, 3, 'sam_image_size', 'sam_image_size')
      },
      outputs: { adapted_category_embeddings: f('*', 'hidden_size') }
    }
  }
}

/**
 * Checks the manifest's graph declarations against section 6: every required tensor declared with
 * an allowed dtype and the shape the sizes imply; no inputs the engine could not feed (a
 * `sam_decoder` input may also be a `sam_encoder` output, passed through). Throws PackError.
 */
export function checkManifestGraphs(manifest: PackManifest, pack: string): void {
  const rules = graphRules(manifest.sizes)
  for (const [name, decl] of Object.entries(manifest.graphs) as [GraphName, GraphDecl | null][]) {
    if (decl === null) continue
    const rule = rules[name]
    const passThrough = name === 'sam_decoder' ? Object.keys(manifest.graphs.sam_encoder?.outputs ?? {}) : []
    for (const section of ['inputs', 'outputs'] as const) {
      for (const [tensor, want] of Object.entries(rule[section])) {
        const field = `graphs.${name}.${section}.${tensor}`
        const got = decl[section][tensor]
        const fail = (expected: string, found: string): PackError =>
          new PackError({ pack, file: 'manifest.json', tensor: field, expected, found }, `${field} is ${found}, expected ${expected}`)
        if (got === undefined) {
          throw new PackError({ pack, file: 'manifest.json', tensor: field, expected: describeRule(want, manifest) }, `${field} is missing; section 6 requires it (${describeRule(want, manifest)})`)
        }
        if (!dtypeAllowed(want, got, manifest)) throw fail(describeRule(want, manifest), describeDecl(got))
        const dims = want.dims.map((d) => resolveDim(d, manifest.sizes))
        if (got.shape.length !== dims.length || dims.some((d, axis) => typeof d === 'number' && got.shape[axis] !== d)) {
          throw fail(describeRule(want, manifest), describeDecl(got))
        }
      }
      if (section === 'inputs') {
        for (const tensor of Object.keys(decl.inputs)) {
          if (rule.inputs[tensor] === undefined && !passThrough.includes(tensor)) {
            const field = `graphs.${name}.inputs.${tensor}`
            throw new PackError(
              { pack, file: 'manifest.json', tensor: field, expected: `only the inputs of section 6 (${Object.keys(rule.inputs).join(', ')})` },
              `${field} is not an input of section 6, so the engine cannot feed it`
            )
          }
        }
      }
    }
  }
}

/**
 * Checks a loaded graph against its manifest declaration: the same input names (nothing more, nothing
 * less), every declared output present, the same dtypes and ranks, each fixed axis the declared size,
 * each declared dynamic axis dynamic. Throws PackError naming the ONNX file and the tensor.
 */
export function checkSessionAgainstManifest(session: GraphSession, decl: GraphDecl, graph: GraphName, pack: string): void {
  const check = (section: 'inputs' | 'outputs', actual: readonly TensorSpec[]): void => {
    const byName = new Map(actual.map((t) => [t.name, t]))
    for (const [name, want] of Object.entries(decl[section])) {
      const tensor = `${section}.${name}`
      const expected = describeDecl(want)
      const spec = byName.get(name)
      const fail = (found: string, reason: string): PackError => new PackError({ pack, file: decl.file, tensor, expected, found }, reason)
      if (spec === undefined) {
        throw fail('absent', `the graph has no ${section === 'inputs' ? 'input' : 'output'} "${name}" (it has ${actual.map((t) => t.name).join(', ') || 'none'}); manifest.json declares ${expected}`)
      }
      const found = `${spec.type ?? 'non-tensor'} ${spec.shape === undefined ? '[?]' : formatShape(spec.shape)}`
      if (spec.type !== want.dtype) throw fail(found, `${section === 'inputs' ? 'input' : 'output'} "${name}" is ${found}, manifest.json declares ${expected}`)
      if (spec.shape === undefined) continue
      if (spec.shape.length !== want.shape.length) {
        throw fail(found, `${section === 'inputs' ? 'input' : 'output'} "${name}" has ${spec.shape.length} dimensions ${formatShape(spec.shape)}, manifest.json declares ${expected}`)
      }
      want.shape.forEach((dim, axis) => {
        const got = spec.shape![axis]
        const gotFixed = typeof got === 'number' && got >= 0
        if (typeof dim === 'number' && gotFixed && got !== dim) {
          throw fail(found, `${section === 'inputs' ? 'input' : 'output'} "${name}" has dimension ${axis} of ${got}, manifest.json declares ${dim} (${expected})`)
        }
        if (typeof dim === 'string' && gotFixed) {
          throw fail(found, `${section === 'inputs' ? 'input' : 'output'} "${name}" has dimension ${axis} fixed at ${got}, manifest.json declares it dynamic (${dim}) in ${expected}`)
        }
      })
    }
  }
  check('inputs', session.inputs)
  check('outputs', session.outputs)
  for (const input of session.inputs) {
    if (decl.inputs[input.name] === undefined) {
      throw new PackError(
        { pack, file: decl.file, tensor: `inputs.${input.name}`, expected: `only ${Object.keys(decl.inputs).join(', ')}` },
        `the graph has an input "${input.name}" that manifest.json does not declare for ${graph}`
      )
    }
  }
}

function resolveDim(dim: number | keyof PackSizes | '*', sizes: PackSizes): number | '*' {
  if (dim === '*' || typeof dim === 'number') return dim
  return sizes[dim]
}

function dtypeAllowed(rule: TensorRule, decl: TensorDecl, manifest: PackManifest): boolean {
  if (rule.dtype === 'int64') return decl.dtype === 'int64'
  if (rule.dtype === 'kv') return decl.dtype === manifest.llm.kv_cache_dtype
  return decl.dtype === 'float32' || decl.dtype === 'float16'
}

function describeRule(rule: TensorRule, manifest: PackManifest): string {
  const dtype = rule.dtype === 'float' ? 'float32|float16' : rule.dtype === 'kv' ? manifest.llm.kv_cache_dtype : 'int64'
  return `${dtype} [${rule.dims.map((d) => (d === '*' ? '*' : typeof d === 'number' ? d : `${d}=${manifest.sizes[d]}`)).join(',')}]`
}

function describeDecl(decl: TensorDecl): string {
  return `${decl.dtype} ${formatShape(decl.shape)}`
}
