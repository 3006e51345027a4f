/**
 * Prompt text and ids (model-pack.md sections 3.1 and 4): a template from the manifest filled in,
 * wrapped in the chat template, tokenized with no added special tokens, with exactly one
 * placeholder (`<image>` or `<category>`) whose position is where the vectors are spliced.
 */
import type { PackManifest, PackPrompts } from '../pack/manifest'
import type { TextTokenizer } from '../pack/tokenizer'

/** A tokenized prompt: the ids and the index of its single placeholder. */
export interface PromptIds {
  readonly text: string
  readonly ids: readonly number[]
  /** Index k of the placeholder in `ids`; the spliced vectors start at k in the expanded sequence. */
  readonly placeholder: number
}

/**
 * Replaces `{name}` fields of a template in one pass, as Python's str.format does for these
 * templates: text substituted for one field is never scanned for further fields.
 */
export function fillTemplate(template: string, values: Readonly<Record<string, string>>): string {
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => {
    const value = values[name]
    if (value === undefined) throw new RangeError(`template: no value for {${name}} in ${JSON.stringify(template)}`)
    return value
  })
}

/** A user turn wrapped in `prompts.chat`. */
export function chatText(prompts: PackPrompts, user: string): string {
  return fillTemplate(prompts.chat, { user })
}

/** The category-decoding prompt up to where the name is generated: chat(category.user) + " " + assistant prefix. */
export function categoryText(prompts: PackPrompts): string {
  const prefix = prompts.category.assistant_prefix
  return prefix.length > 0 ? `${chatText(prompts, prompts.category.user)} ${prefix}` : chatText(prompts, prompts.category.user)
}

/** Tokenizes a prompt and finds its single placeholder; Error when there is not exactly one. */
export function promptIds(tokenizer: TextTokenizer, text: string, placeholderId: number): PromptIds {
  const ids = tokenizer.encode(text)
  const at = ids.indexOf(placeholderId)
  if (at < 0 || ids.indexOf(placeholderId, at + 1) >= 0) {
    throw new Error(`prompt ${JSON.stringify(text)} must contain the placeholder (id ${placeholderId}) exactly once`)
  }
  return { text, ids, placeholder: at }
}

/**
 * Checks text a user typed into a prompt (a description, a category name): a non-empty string
 * without the pack's placeholder tokens, which would splice vectors in the wrong place.
 * Throws TypeError/RangeError naming the parameter.
 */
export function checkUserText(value: unknown, name: string, manifest: PackManifest): string {
  if (typeof value !== 'string') throw new TypeError(`${name}: expected a string, got ${value === null ? 'null' : typeof value}`)
  const text = value.trim()
  if (text.length === 0) throw new RangeError(`${name}: must not be empty`)
  if (text.length > 500) throw new RangeError(`${name}: at most 500 characters, got ${text.length}`)
  for (const token of [manifest.tokenizer.image_token, manifest.tokenizer.category_token]) {
    if (text.includes(token)) throw new RangeError(`${name}: must not contain the model's placeholder ${token}`)
  }
  return text
}

/**
 * `attention_mask` values of a prompt (section 3.1): every prompt position 2 for a `prefix` pack
 * (read bidirectionally), 1 for a `causal` one.
 */
export function promptAttentionValue(manifest: PackManifest): 1 | 2 {
  return manifest.llm.attention === 'prefix' ? 2 : 1
}

/**
 * The counting answer of a dense result (`prompts.count_answer`, section 4): names counted,
 * ordered by count descending then name, e.g. "There are 2 red circle, 1 sky in this image."
 */
export function countAnswer(prompts: PackPrompts, names: readonly string[]): string {
  const counts = new Map<string, number>()
  for (const name of names) counts.set(name, (counts.get(name) ?? 0) + 1)
  if (counts.size === 0) return 'There are no objects in this image.'
  // Python's sort on (−count, name) compares names by code point, which `<` does too.
  const items = [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
  return fillTemplate(prompts.count_answer, { counts: items.map(([name, n]) => `${n} ${name}`).join(', ') })
}

/** A generated answer → category name: whitespace trimmed and one trailing period removed (section 3.2). */
export function cleanName(text: string): string {
  let t = text.trim()
  if (t.endsWith('.')) t = t.slice(0, -1).trimEnd()
  return t
}
