/**
 * `manifest.json` of a model pack (docs/model-pack.md, section 2), read into typed values and
 * checked field by field. Every size, name, threshold and template the engine uses comes from here,
 * so a missing or malformed field is a broken pack with the field named — never a default that
 * silently assumes rose-tiny.
 */
import { PackError } from './pack-error'

/** The manifest `format` string. */
export const PACK_FORMAT = 'rose-model-pack'
/** The pack format version this engine reads. */
export const PACK_FORMAT_VERSION = 1

/** Graphs every pack has; `category_adapter` may be null. */
export const REQUIRED_GRAPHS = [
  'vision_encoder',
  'embed_tokens',
  'llm_decoder',
  'patch_analyzer',
  'sam_encoder',
  'sam_decoder',
  'text_encoder'
] as const
/** Graphs a pack may leave out (`null` in the manifest). */
export const OPTIONAL_GRAPHS = ['category_adapter'] as const
/** A graph's name in the manifest. */
export type GraphName = (typeof REQUIRED_GRAPHS)[number] | (typeof OPTIONAL_GRAPHS)[number]

/** Tensor element types a manifest may declare. */
export type PackDtype = 'float32' | 'float16' | 'int64'

/** One declared graph input or output: integers for fixed axes, strings for dynamic ones. */
export interface TensorDecl {
  readonly dtype: PackDtype
  readonly shape: readonly (number | string)[]
}

/** One graph of the manifest. */
export interface GraphDecl {
  /** Relative path of the ONNX file. */
  readonly file: string
  /** Inputs in the manifest's order. */
  readonly inputs: Readonly<Record<string, TensorDecl>>
  readonly outputs: Readonly<Record<string, TensorDecl>>
}

/** `sizes` (section 2.1). */
export interface PackSizes {
  readonly image_size: number
  readonly patch_size: number
  readonly grid: number
  readonly num_patches: number
  readonly hidden_size: number
  readonly vocab_size: number
  readonly llm_layers: number
  readonly llm_heads: number
  readonly llm_kv_heads: number
  readonly llm_head_dim: number
  readonly mask_embedding_dim: number
  readonly category_embedding_dim: number
  readonly siglip_dim: number
  readonly sam_image_size: number
  readonly sam_embedding_size: number
  readonly sam_embedding_channels: number
  readonly sam_mask_size: number
  readonly sam_num_mask_outputs: number
  readonly sam_mask_output_index: number
  readonly text_max_len: number
}

const SIZE_KEYS: readonly (keyof PackSizes)[] = [
  'image_size', 'patch_size', 'grid', 'num_patches', 'hidden_size', 'vocab_size', 'llm_layers', 'llm_heads',
  'llm_kv_heads', 'llm_head_dim', 'mask_embedding_dim', 'category_embedding_dim', 'siglip_dim', 'sam_image_size',
  'sam_embedding_size', 'sam_embedding_channels', 'sam_mask_size', 'sam_num_mask_outputs', 'sam_mask_output_index',
  'text_max_len'
]

/** One preprocessing frame (section 5). */
export interface FramePreprocessing {
  readonly size: number
  /** Multiplier applied to 0–255 values before the mean is subtracted (1/255 for SigLIP, 1 for SAM). */
  readonly rescale: number
  readonly mean: readonly [number, number, number]
  readonly std: readonly [number, number, number]
}

/** `tokenizer` (section 3). */
export interface TokenizerInfo {
  readonly file: string
  readonly eos_token_id: number
  readonly pad_token_id: number
  readonly image_token: string
  readonly image_token_id: number
  readonly category_token: string
  readonly category_token_id: number
}

/** `prompts` (section 4): template lists, the first phrasing being the default. */
export interface PackPrompts {
  readonly chat: string
  readonly dense: readonly string[]
  readonly instance: readonly string[]
  readonly referring: readonly string[]
  readonly refine_mask: readonly string[]
  readonly refine_category: readonly string[]
  readonly refine_missed: readonly string[]
  readonly category: { readonly user: string; readonly assistant_prefix: string }
  readonly count_answer: string
}

/** `inference` defaults (section 2). */
export interface InferenceDefaults {
  readonly top_n: number
  readonly objectness_threshold: number
  readonly mask_threshold: number
  readonly nms_iou: number
  /** Containment limit of NMS (section 7); packs written before it existed get 1.01, which switches it off. */
  readonly nms_containment: number
  /** Fragment removal (section 8.1); packs written before it existed get 0, which switches it off. */
  readonly min_component_fraction: number
  readonly min_mask_area: number
  readonly category_max_new_tokens: number
  readonly refine_top_k: number
  /**
   * `rectangle`: a box prompt is also given densely as `mask_input` (+4 inside, −4 outside,
   * section 6.6); `none` (SAM packs, and packs written before the field existed): corners only.
   */
  readonly box_prompt_mask_input: 'rectangle' | 'none'
}

/** `super_patch` (section 9). */
export interface SuperPatch {
  readonly size: number
  /** size × size role names, rows top to bottom. */
  readonly layout: readonly (readonly string[])[]
}

/** `text_encoder` (section 6.7). */
export interface TextEncoderInfo {
  readonly tokenizer: string
  readonly max_length: number
  readonly pad_to_max_length: boolean
}

/** A parsed, checked manifest. */
export interface PackManifest {
  readonly format_version: number
  readonly name: string
  readonly version: string
  readonly description: string
  readonly created: string
  readonly sizes: PackSizes
  readonly preprocessing: { readonly vision: FramePreprocessing; readonly sam: FramePreprocessing }
  readonly tokenizer: TokenizerInfo
  readonly llm: { readonly attention: 'prefix' | 'causal'; readonly kv_cache_dtype: 'float32' | 'float16' }
  readonly text_encoder: TextEncoderInfo
  readonly prompts: PackPrompts
  readonly super_patch: SuperPatch
  readonly inference: InferenceDefaults
  /** Every graph; optional ones are null when absent. */
  readonly graphs: Readonly<Record<GraphName, GraphDecl | null>>
  /** Relative path → sha256 (hex) and size of every file but manifest.json. */
  readonly files: Readonly<Record<string, { readonly sha256: string; readonly bytes: number }>>
  readonly parent: unknown
  readonly training: unknown
  /** Held-out figures of `rose_trainer evaluate --write-manifest`, when recorded. */
  readonly metrics: Readonly<Record<string, unknown>> | null
}

/**
 * Checks a manifest document and returns it typed. Throws PackError naming the pack, `manifest.json`
 * and the field (e.g. `sizes.grid`) with what was expected.
 */
export function parseManifest(doc: unknown, pack: string): PackManifest {
  const bad = (field: string, expected: string, found?: unknown): PackError =>
    new PackError(
      { pack, file: 'manifest.json', tensor: field, expected, ...(found === undefined ? {} : { found: describe(found) }) },
      `field ${field}: expected ${expected}${found === undefined ? '' : `, found ${describe(found)}`}`
    )
  const obj = (value: unknown, field: string): Record<string, unknown> => {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw bad(field, 'an object', value)
    return value as Record<string, unknown>
  }
  const str = (value: unknown, field: string): string => {
    if (typeof value !== 'string') throw bad(field, 'a string', value)
    return value
  }
  const text = (value: unknown, field: string): string => {
    const s = str(value, field)
    if (s.length === 0) throw bad(field, 'a non-empty string', value)
    return s
  }
  const int = (value: unknown, field: string, min = 1): number => {
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min) throw bad(field, `an integer ≥ ${min}`, value)
    return value
  }
  const num = (value: unknown, field: string): number => {
    if (typeof value !== 'number' || !Number.isFinite(value)) throw bad(field, 'a finite number', value)
    return value
  }
  const texts = (value: unknown, field: string): string[] => {
    if (!Array.isArray(value) || value.length === 0) throw bad(field, 'a non-empty list of templates', value)
    return value.map((v, i) => text(v, `${field}[${i}]`))
  }
  const triple = (value: unknown, field: string): [number, number, number] => {
    if (!Array.isArray(value) || value.length !== 3) throw bad(field, 'three numbers (R, G, B)', value)
    return [num(value[0], `${field}[0]`), num(value[1], `${field}[1]`), num(value[2], `${field}[2]`)]
  }

  const root = obj(doc, '(root)')
  if (root['format'] !== PACK_FORMAT) throw bad('format', JSON.stringify(PACK_FORMAT), root['format'])
  if (root['format_version'] !== PACK_FORMAT_VERSION) {
    throw new PackError(
      { pack, file: 'manifest.json', tensor: 'format_version', expected: String(PACK_FORMAT_VERSION), found: describe(root['format_version']) },
      `format_version ${describe(root['format_version'])} is not supported; this engine reads version ${PACK_FORMAT_VERSION}`
    )
  }

  const s = obj(root['sizes'], 'sizes')
  const sizes = {} as Record<keyof PackSizes, number>
  for (const key of SIZE_KEYS) sizes[key] = int(s[key], `sizes.${key}`, key === 'sam_mask_output_index' ? 0 : 1)
  const derived: [string, number, number][] = [
    ['sizes.grid', sizes.grid, sizes.image_size / sizes.patch_size],
    ['sizes.num_patches', sizes.num_patches, sizes.grid * sizes.grid],
    ['sizes.category_embedding_dim', sizes.category_embedding_dim, sizes.hidden_size]
  ]
  for (const [field, got, want] of derived) if (got !== want) throw bad(field, String(want), got)
  if (sizes.sam_mask_output_index >= sizes.sam_num_mask_outputs) {
    throw bad('sizes.sam_mask_output_index', `less than sizes.sam_num_mask_outputs (${sizes.sam_num_mask_outputs})`, sizes.sam_mask_output_index)
  }

  const pre = obj(root['preprocessing'], 'preprocessing')
  const frame = (key: 'vision' | 'sam', size: number): FramePreprocessing => {
    const f = obj(pre[key], `preprocessing.${key}`)
    const got = int(f['size'], `preprocessing.${key}.size`)
    if (got !== size) throw bad(`preprocessing.${key}.size`, `${size} (sizes)`, got)
    const std = triple(f['std'], `preprocessing.${key}.std`)
    if (std.some((v) => v === 0)) throw bad(`preprocessing.${key}.std`, 'non-zero values', std)
    return { size: got, rescale: num(f['rescale'], `preprocessing.${key}.rescale`), mean: triple(f['mean'], `preprocessing.${key}.mean`), std }
  }
  const preprocessing = { vision: frame('vision', sizes.image_size), sam: frame('sam', sizes.sam_image_size) }

  const t = obj(root['tokenizer'], 'tokenizer')
  const tokenizer: TokenizerInfo = {
    file: text(t['file'], 'tokenizer.file'),
    eos_token_id: int(t['eos_token_id'], 'tokenizer.eos_token_id', 0),
    pad_token_id: int(t['pad_token_id'], 'tokenizer.pad_token_id', 0),
    image_token: text(t['image_token'], 'tokenizer.image_token'),
    image_token_id: int(t['image_token_id'], 'tokenizer.image_token_id', 0),
    category_token: text(t['category_token'], 'tokenizer.category_token'),
    category_token_id: int(t['category_token_id'], 'tokenizer.category_token_id', 0)
  }

  const l = obj(root['llm'], 'llm')
  const attention = l['attention']
  if (attention !== 'prefix' && attention !== 'causal') throw bad('llm.attention', '"prefix" or "causal"', attention)
  const kv = l['kv_cache_dtype'] ?? 'float32'
  if (kv !== 'float32' && kv !== 'float16') throw bad('llm.kv_cache_dtype', '"float32" or "float16"', kv)

  const te = obj(root['text_encoder'], 'text_encoder')
  const text_encoder: TextEncoderInfo = {
    tokenizer: text(te['tokenizer'], 'text_encoder.tokenizer'),
    max_length: int(te['max_length'], 'text_encoder.max_length'),
    pad_to_max_length: te['pad_to_max_length'] === true
  }

  const p = obj(root['prompts'], 'prompts')
  const chat = text(p['chat'], 'prompts.chat')
  if (!chat.includes('{user}')) throw bad('prompts.chat', 'a template containing {user}', chat)
  const c = obj(p['category'], 'prompts.category')
  const prompts: PackPrompts = {
    chat,
    dense: texts(p['dense'], 'prompts.dense'),
    instance: texts(p['instance'], 'prompts.instance'),
    referring: texts(p['referring'], 'prompts.referring'),
    refine_mask: texts(p['refine_mask'], 'prompts.refine_mask'),
    refine_category: texts(p['refine_category'], 'prompts.refine_category'),
    refine_missed: texts(p['refine_missed'], 'prompts.refine_missed'),
    category: { user: text(c['user'], 'prompts.category.user'), assistant_prefix: str(c['assistant_prefix'], 'prompts.category.assistant_prefix') },
    count_answer: text(p['count_answer'], 'prompts.count_answer')
  }
  for (const key of ['dense', 'instance', 'referring', 'refine_mask', 'refine_category', 'refine_missed'] as const) {
    prompts[key].forEach((template, i) => {
      if (!template.includes(tokenizer.image_token)) throw bad(`prompts.${key}[${i}]`, `a template containing ${tokenizer.image_token}`, template)
    })
  }
  if (!prompts.category.user.includes(tokenizer.category_token)) {
    throw bad('prompts.category.user', `a template containing ${tokenizer.category_token}`, prompts.category.user)
  }

  const sp = obj(root['super_patch'], 'super_patch')
  const spSize = int(sp['size'], 'super_patch.size')
  const layout = sp['layout']
  if (!Array.isArray(layout) || layout.length !== spSize || !layout.every((row) => Array.isArray(row) && row.length === spSize && row.every((r) => typeof r === 'string'))) {
    throw bad('super_patch.layout', `${spSize}×${spSize} role names`, layout)
  }
  const super_patch: SuperPatch = { size: spSize, layout: layout as string[][] }

  const inf = obj(root['inference'], 'inference')
  const inference: InferenceDefaults = {
    top_n: int(inf['top_n'], 'inference.top_n'),
    objectness_threshold: num(inf['objectness_threshold'], 'inference.objectness_threshold'),
    mask_threshold: num(inf['mask_threshold'], 'inference.mask_threshold'),
    nms_iou: num(inf['nms_iou'], 'inference.nms_iou'),
    nms_containment: num(inf['nms_containment'] ?? 1.01, 'inference.nms_containment'),
    min_component_fraction: num(inf['min_component_fraction'] ?? 0, 'inference.min_component_fraction'),
    min_mask_area: int(inf['min_mask_area'], 'inference.min_mask_area', 0),
    category_max_new_tokens: int(inf['category_max_new_tokens'], 'inference.category_max_new_tokens'),
    refine_top_k: int(inf['refine_top_k'] ?? 1, 'inference.refine_top_k'),
    box_prompt_mask_input: boxMaskInput(inf['box_prompt_mask_input'] ?? 'none', bad)
  }

  const g = obj(root['graphs'], 'graphs')
  const graphs = {} as Record<GraphName, GraphDecl | null>
  const tensors = (value: unknown, field: string): Record<string, TensorDecl> => {
    const o = obj(value, field)
    const out: Record<string, TensorDecl> = {}
    for (const [name, decl] of Object.entries(o)) {
      const d = obj(decl, `${field}.${name}`)
      const dtype = d['dtype']
      if (dtype !== 'float32' && dtype !== 'float16' && dtype !== 'int64') throw bad(`${field}.${name}.dtype`, '"float32", "float16" or "int64"', dtype)
      const shape = d['shape']
      if (!Array.isArray(shape) || !shape.every((v) => (typeof v === 'number' && Number.isInteger(v) && v >= 0) || (typeof v === 'string' && v.length > 0))) {
        throw bad(`${field}.${name}.shape`, 'a list of fixed sizes and axis names', shape)
      }
      out[name] = { dtype, shape: shape as (number | string)[] }
    }
    return out
  }
  for (const name of [...REQUIRED_GRAPHS, ...OPTIONAL_GRAPHS]) {
    const decl = g[name]
    if (decl === null || decl === undefined) {
      if ((OPTIONAL_GRAPHS as readonly string[]).includes(name)) {
        graphs[name] = null
        continue
      }
      throw bad(`graphs.${name}`, 'a graph {file, inputs, outputs}', decl ?? 'nothing')
    }
    const d = obj(decl, `graphs.${name}`)
    graphs[name] = {
      file: safeRelative(text(d['file'], `graphs.${name}.file`), `graphs.${name}.file`, bad),
      inputs: tensors(d['inputs'], `graphs.${name}.inputs`),
      outputs: tensors(d['outputs'], `graphs.${name}.outputs`)
    }
  }

  const f = obj(root['files'], 'files')
  const files: Record<string, { sha256: string; bytes: number }> = {}
  for (const [rel, entry] of Object.entries(f)) {
    safeRelative(rel, `files.${rel}`, bad)
    const e = obj(entry, `files.${rel}`)
    const sha = e['sha256']
    if (typeof sha !== 'string' || !/^[0-9a-f]{64}$/.test(sha)) throw bad(`files.${rel}.sha256`, '64 lower-case hex digits', sha)
    files[rel] = { sha256: sha, bytes: int(e['bytes'], `files.${rel}.bytes`, 0) }
  }
  for (const [name, decl] of Object.entries(graphs)) {
    if (decl !== null && files[decl.file] === undefined) throw bad('files', `an entry for ${decl.file} (graphs.${name}.file)`)
  }
  if (files[tokenizer.file] === undefined) throw bad('files', `an entry for ${tokenizer.file} (tokenizer.file)`)

  const metrics = root['metrics']
  return {
    format_version: PACK_FORMAT_VERSION,
    name: text(root['name'], 'name'),
    version: text(root['version'], 'version'),
    description: typeof root['description'] === 'string' ? root['description'] : '',
    created: typeof root['created'] === 'string' ? root['created'] : '',
    sizes,
    preprocessing,
    tokenizer,
    llm: { attention, kv_cache_dtype: kv },
    text_encoder,
    prompts,
    super_patch,
    inference,
    graphs,
    files,
    parent: root['parent'] ?? null,
    training: root['training'] ?? null,
    metrics: typeof metrics === 'object' && metrics !== null && !Array.isArray(metrics) ? (metrics as Record<string, unknown>) : null
  }
}

function boxMaskInput(value: unknown, bad: (field: string, expected: string, found?: unknown) => PackError): 'rectangle' | 'none' {
  if (value !== 'rectangle' && value !== 'none') throw bad('inference.box_prompt_mask_input', '"rectangle" or "none"', value)
  return value
}

// A file named by the manifest must stay inside the pack folder.
function safeRelative(rel: string, field: string, bad: (field: string, expected: string, found?: unknown) => PackError): string {
  if (rel.startsWith('/') || rel.includes('\\') || rel.split('/').some((part) => part === '..' || part === '')) {
    throw bad(field, 'a relative path inside the pack', rel)
  }
  return rel
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing'
  const json = JSON.stringify(value)
  return json === undefined ? String(value) : json.length > 80 ? `${json.slice(0, 77)}...` : json
}
