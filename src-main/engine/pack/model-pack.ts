/**
 * One model pack opened for use: its checked manifest, its tokenizer, and its graphs' sessions,
 * each checked against the manifest before its first run. Opening reads and checks everything that
 * is cheap (manifest, sizes of all files, tokenizer, graph declarations); hashes are streamed when
 * asked (installation, activation); the ONNX files are loaded by path so that onnxruntime finds
 * the shared external weights beside them.
 */
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { errorMessage } from '../../common/errors'
import type { GraphSession } from '../graph-session'
import type { SessionPool } from '../session-pool'
import { checkManifestGraphs, checkSessionAgainstManifest } from './graph-contract'
import { parseManifest, type GraphName, type PackManifest } from './manifest'
import { PackError } from './pack-error'
import { verifyPackFiles } from './pack-files'
import { ByteLevelBpeTokenizer, type TextTokenizer } from './tokenizer'

/** How a pack is opened. */
export interface OpenPackOptions {
  /** Stream every file's sha256 and compare it with the manifest (sizes are always compared). */
  readonly verifyHashes: boolean
  readonly signal?: AbortSignal
}

/** Reads and checks `manifest.json` of a pack folder; PackError when it is missing or malformed. */
export async function readPackManifest(dir: string): Promise<PackManifest> {
  let text: string
  try {
    text = await readFile(join(dir, 'manifest.json'), 'utf8')
  } catch (error) {
    const missing = (error as { code?: unknown }).code === 'ENOENT'
    throw new PackError({ pack: dir, file: 'manifest.json' }, missing ? 'is missing' : `cannot be read (${errorMessage(error)})`)
  }
  let doc: unknown
  try {
    doc = JSON.parse(text)
  } catch (error) {
    throw new PackError({ pack: dir, file: 'manifest.json', expected: 'JSON' }, `is not valid JSON (${errorMessage(error)})`)
  }
  const manifest = parseManifest(doc, dir)
  checkManifestGraphs(manifest, dir)
  return manifest
}

/** A pack ready to run: manifest, tokenizer, and sessions checked against the manifest on first use. */
export class ModelPack {
  /** `name@version`, unique among installed packs. */
  readonly id: string
  private readonly sessions = new Map<GraphName, Promise<GraphSession>>()
  private disposed = false

  private constructor(
    /** The pack folder. */
    readonly dir: string,
    readonly manifest: PackManifest,
    readonly tokenizer: TextTokenizer,
    private readonly pool: SessionPool
  ) {
    this.id = `${manifest.name}@${manifest.version}`
  }

  /** Opens a pack folder: manifest, graph declarations, file sizes (and hashes), tokenizer. */
  static async open(dir: string, pool: SessionPool, options: OpenPackOptions): Promise<ModelPack> {
    const manifest = await readPackManifest(dir)
    await verifyPackFiles(dir, manifest, { hashes: options.verifyHashes, ...(options.signal ? { signal: options.signal } : {}) })
    const tokenizer = await loadTokenizer(dir, manifest)
    return new ModelPack(dir, manifest, tokenizer, pool)
  }

  /** The session of a graph, loaded and checked against the manifest on first use. */
  session(graph: GraphName): Promise<GraphSession> {
    if (this.disposed) return Promise.reject(new Error(`model pack ${this.id} has been closed`))
    const decl = this.manifest.graphs[graph]
    if (decl === null) return Promise.reject(new RangeError(`graph: ${graph} is not part of model pack ${this.id}`))
    let pending = this.sessions.get(graph)
    if (pending === undefined) {
      pending = (async () => {
        let session: GraphSession
        try {
          session = await this.pool.acquire(this.graphKey(graph), join(this.dir, decl.file))
        } catch (error) {
          throw new PackError({ pack: this.dir, file: decl.file, expected: 'an ONNX model onnxruntime can load' }, `onnxruntime cannot load it: ${firstLine(errorMessage(error))}`)
        }
        try {
          checkSessionAgainstManifest(session, decl, graph, this.dir)
        } catch (error) {
          await this.pool.release(this.graphKey(graph))
          throw error
        }
        return session
      })()
      this.sessions.set(graph, pending)
      pending.catch(() => {
        if (this.sessions.get(graph) === pending) this.sessions.delete(graph)
      })
    }
    return pending
  }

  /** Loads and checks every graph of the pack (activation does this so a broken graph shows at once). */
  async loadAll(): Promise<void> {
    for (const graph of Object.keys(this.manifest.graphs) as GraphName[]) {
      if (this.manifest.graphs[graph] !== null) await this.session(graph)
    }
  }

  /** True when the pack has this graph (`category_adapter` is optional). */
  has(graph: GraphName): boolean {
    return this.manifest.graphs[graph] !== null
  }

  /** Releases the pack's sessions. */
  async dispose(): Promise<void> {
    if (this.disposed) return
    this.disposed = true
    const graphs = [...this.sessions.keys()]
    this.sessions.clear()
    await Promise.all(graphs.map((graph) => this.pool.release(this.graphKey(graph))))
  }

  private graphKey(graph: GraphName): string {
    return `${this.id}/${graph}`
  }
}

async function loadTokenizer(dir: string, manifest: PackManifest): Promise<TextTokenizer> {
  const file = manifest.tokenizer.file
  let tokenizer: ByteLevelBpeTokenizer
  try {
    tokenizer = new ByteLevelBpeTokenizer(JSON.parse(await readFile(join(dir, file), 'utf8')), file)
  } catch (error) {
    throw new PackError({ pack: dir, file, expected: 'a Hugging Face byte-level BPE tokenizer.json' }, `cannot be used: ${errorMessage(error)}`)
  }
  const t = manifest.tokenizer
  for (const [token, id, field] of [
    [t.image_token, t.image_token_id, 'image_token_id'],
    [t.category_token, t.category_token_id, 'category_token_id']
  ] as const) {
    const got = tokenizer.tokenId(token)
    if (got !== id) {
      throw new PackError(
        { pack: dir, file, tensor: token, expected: `id ${id} (manifest tokenizer.${field})`, found: got === undefined ? 'absent' : `id ${got}` },
        `the token ${token} has ${got === undefined ? 'no id' : `id ${got}`}, manifest.json says ${id} (tokenizer.${field})`
      )
    }
  }
  if (tokenizer.vocabSize > manifest.sizes.vocab_size) {
    throw new PackError(
      { pack: dir, file, expected: `at most ${manifest.sizes.vocab_size} ids (sizes.vocab_size)`, found: `${tokenizer.vocabSize}` },
      `defines ${tokenizer.vocabSize} ids, more than the model's ${manifest.sizes.vocab_size} (sizes.vocab_size)`
    )
  }
  return tokenizer
}

function firstLine(text: string): string {
  return text.split('\n')[0] ?? text
}
