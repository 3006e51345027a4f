/**
 * A byte-level BPE tokenizer read from a Hugging Face `tokenizer.json`, as the `tokenizers` library
 * runs it: added tokens are matched literally first, the rest is pre-tokenized (GPT-2's regex for a
 * `ByteLevel` pre-tokenizer, or a `Split` regex followed by `ByteLevel` as Qwen2's file has), each
 * piece mapped byte → printable character and merged by rank. Decoding maps the characters back to
 * bytes and reads them as UTF-8. Prompts are encoded with no added special tokens (model-pack.md 3).
 */

/** What a tokenizer file needs for the engine: encode text, decode ids. */
export interface TextTokenizer {
  /** Token ids of `text`; added tokens written literally (`<image>`) become their single id. */
  encode(text: string): number[]
  /** Text of `ids`; special tokens are dropped. */
  decode(ids: readonly number[]): string
  /** The id of a token, or undefined. */
  tokenId(token: string): number | undefined
  /** Number of ids the vocabulary defines (the highest id + 1). */
  readonly vocabSize: number
}

// The ByteLevel pre-tokenizer's pattern (use_regex: true) in `tokenizers`.
const GPT2_PATTERN = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+"

/** GPT-2's reversible byte → printable character table. */
export function bytesToUnicode(): string[] {
  const bs: number[] = []
  for (let b = 33; b <= 126; b++) bs.push(b)
  for (let b = 161; b <= 172; b++) bs.push(b)
  for (let b = 174; b <= 255; b++) bs.push(b)
  const table = new Array<string>(256)
  for (const b of bs) table[b] = String.fromCodePoint(b)
  let n = 0
  for (let b = 0; b < 256; b++) {
    if (table[b] === undefined) table[b] = String.fromCodePoint(256 + n++)
  }
  return table
}

interface AddedToken {
  readonly content: string
  readonly id: number
  readonly special: boolean
}

/** A byte-level BPE tokenizer built from a parsed tokenizer.json document. */
export class ByteLevelBpeTokenizer implements TextTokenizer {
  readonly vocabSize: number
  private readonly vocab: Map<string, number>
  private readonly idToToken: Map<number, string>
  private readonly ranks: Map<string, number>
  private readonly added: readonly AddedToken[]
  private readonly specialIds: Set<number>
  private readonly addedRe: RegExp | null
  private readonly splitRe: RegExp
  private readonly nfc: boolean
  private readonly byteEncoder = bytesToUnicode()
  private readonly byteDecoder: Map<string, number>
  private readonly cache = new Map<string, number[]>()
  private readonly utf8 = new TextEncoder()

  /** Reads the document; throws TypeError naming the field it cannot use (`tokenizer.json: model.type …`). */
  constructor(doc: unknown, file = 'tokenizer.json') {
    const fail = (field: string, expected: string): TypeError => new TypeError(`${file}: ${field}: expected ${expected}`)
    if (typeof doc !== 'object' || doc === null) throw fail('(root)', 'a JSON object')
    const d = doc as Record<string, unknown>
    const model = d['model'] as Record<string, unknown> | undefined
    if (typeof model !== 'object' || model === null || model['type'] !== 'BPE') throw fail('model.type', '"BPE"')
    const vocab = model['vocab']
    if (typeof vocab !== 'object' || vocab === null) throw fail('model.vocab', 'an object token → id')
    this.vocab = new Map(Object.entries(vocab as Record<string, number>))
    const merges = model['merges']
    if (!Array.isArray(merges)) throw fail('model.merges', 'a list of merges')
    this.ranks = new Map()
    merges.forEach((m: unknown, i) => {
      const pair = typeof m === 'string' ? m.split(' ') : m
      if (!Array.isArray(pair) || pair.length !== 2) throw fail(`model.merges[${i}]`, '"a b" or ["a", "b"]')
      this.ranks.set(`${pair[0]} ${pair[1]}`, i)
    })
    const added = Array.isArray(d['added_tokens']) ? (d['added_tokens'] as Record<string, unknown>[]) : []
    this.added = added.map((t, i) => {
      if (typeof t['content'] !== 'string' || typeof t['id'] !== 'number') throw fail(`added_tokens[${i}]`, '{content, id}')
      this.vocab.set(t['content'], t['id'])
      return { content: t['content'], id: t['id'], special: t['special'] === true }
    })
    this.specialIds = new Set(this.added.filter((t) => t.special).map((t) => t.id))
    this.idToToken = new Map([...this.vocab].map(([token, id]) => [id, token]))
    this.vocabSize = Math.max(-1, ...this.vocab.values()) + 1
    // Longest first, so that an added token that prefixes another can never shadow it.
    const alternatives = [...this.added].sort((a, b) => b.content.length - a.content.length).map((t) => escapeRegExp(t.content))
    this.addedRe = alternatives.length > 0 ? new RegExp(`(${alternatives.join('|')})`, 'u') : null
    this.splitRe = preTokenizerRegex(d['pre_tokenizer'], fail)
    const normalizer = d['normalizer'] as { type?: unknown } | null | undefined
    if (normalizer !== null && normalizer !== undefined && normalizer.type !== 'NFC') throw fail('normalizer', 'null or NFC')
    this.nfc = normalizer?.type === 'NFC'
    const decoder = d['decoder'] as { type?: unknown } | null | undefined
    if (decoder !== null && decoder !== undefined && decoder.type !== 'ByteLevel') throw fail('decoder.type', '"ByteLevel"')
    this.byteDecoder = new Map(this.byteEncoder.map((ch, b) => [ch, b]))
  }

  tokenId(token: string): number | undefined {
    return this.vocab.get(token)
  }

  encode(text: string): number[] {
    const ids: number[] = []
    const segments = this.addedRe === null ? [text] : text.split(this.addedRe)
    segments.forEach((segment, i) => {
      if (segment.length === 0) return
      // split() with one capture group puts the separators at the odd indices.
      if (this.addedRe !== null && i % 2 === 1) {
        ids.push(this.vocab.get(segment)!)
        return
      }
      const normalized = this.nfc ? segment.normalize('NFC') : segment
      for (const match of normalized.matchAll(this.splitRe)) {
        const piece = match[0]
        if (piece.length === 0) continue
        let mapped = ''
        for (const byte of this.utf8.encode(piece)) mapped += this.byteEncoder[byte]!
        for (const id of this.bpe(mapped)) ids.push(id)
      }
    })
    return ids
  }

  decode(ids: readonly number[]): string {
    const out: string[] = []
    let bytes: number[] = []
    const flush = (): void => {
      if (bytes.length > 0) out.push(new TextDecoder('utf-8').decode(Uint8Array.from(bytes)))
      bytes = []
    }
    for (const id of ids) {
      if (this.specialIds.has(id)) {
        flush()
        continue
      }
      const token = this.idToToken.get(id)
      if (token === undefined) throw new RangeError(`ids: ${id} is not a token id of this vocabulary (size ${this.vocabSize})`)
      if (this.added.some((t) => t.id === id)) {
        flush()
        out.push(token)
        continue
      }
      for (const ch of token) {
        const b = this.byteDecoder.get(ch)
        if (b !== undefined) bytes.push(b)
      }
    }
    flush()
    return out.join('')
  }

  // Classic BPE: merge every occurrence of the lowest-ranked pair, left to right, until none is left.
  private bpe(word: string): number[] {
    const cached = this.cache.get(word)
    if (cached !== undefined) return cached
    let parts = [...word]
    while (parts.length > 1) {
      let best = -1
      let bestRank = Infinity
      for (let i = 0; i < parts.length - 1; i++) {
        const rank = this.ranks.get(`${parts[i]} ${parts[i + 1]}`)
        if (rank !== undefined && rank < bestRank) {
          bestRank = rank
          best = i
        }
      }
      if (best < 0) break
      const a = parts[best]!
      const b = parts[best + 1]!
      const merged: string[] = []
      for (let i = 0; i < parts.length; i++) {
        if (i < parts.length - 1 && parts[i] === a && parts[i + 1] === b) {
          merged.push(a + b)
          i++
        } else merged.push(parts[i]!)
      }
      parts = merged
    }
    const ids = parts.map((p) => {
      const id = this.vocab.get(p)
      if (id === undefined) throw new RangeError(`text: the piece ${JSON.stringify(p)} has no id in the vocabulary`)
      return id
    })
    if (this.cache.size < 50_000) this.cache.set(word, ids)
    return ids
  }
}

// The pieces the pre-tokenizer cuts text into, as one global regex.
function preTokenizerRegex(pre: unknown, fail: (field: string, expected: string) => TypeError): RegExp {
  const p = pre as { type?: unknown; use_regex?: unknown; add_prefix_space?: unknown; pretokenizers?: unknown } | null
  if (p?.type === 'ByteLevel') {
    if (p.add_prefix_space === true) throw fail('pre_tokenizer.add_prefix_space', 'false')
    return new RegExp(p.use_regex === false ? '[\\s\\S]+' : GPT2_PATTERN, 'gu')
  }
  if (p?.type === 'Sequence' && Array.isArray(p.pretokenizers)) {
    const [split, byteLevel] = p.pretokenizers as { type?: unknown; pattern?: { Regex?: unknown }; behavior?: unknown; use_regex?: unknown }[]
    if (split?.type === 'Split' && typeof split.pattern?.Regex === 'string' && split.behavior === 'Isolated' && byteLevel?.type === 'ByteLevel' && byteLevel.use_regex === false) {
      return new RegExp(split.pattern.Regex, 'gu')
    }
  }
  throw fail('pre_tokenizer', 'ByteLevel, or Sequence [Split (Regex, Isolated), ByteLevel (use_regex false)]')
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}
