/**
 * The installed model packs — the bundled ones (`resources/models/*`) and the user's packs folder —
 * and the one that is active. Listing is cheap (manifests, graph declarations, file sizes) and
 * reports a broken pack with its reason instead of failing; activating streams the hashes (once per
 * pack folder and manifest), loads and checks every graph, and only then replaces the previous
 * pack, so a bad pack never leaves the engine without one. Switching needs no restart.
 */
import { readdir, stat } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { errorMessage, ExpectedError } from '../../common/errors'
import { RosePipeline } from '../rose/rose-pipeline'
import type { SessionPool } from '../session-pool'
import type { PackManifest } from './manifest'
import { ModelPack, readPackManifest } from './model-pack'
import { NO_MODEL_PACK, noUsablePackMessage, PACK_BROKEN, PackError, type PackProblem } from './pack-error'
import { verifyPackFiles } from './pack-files'

/** A folder holding packs, one per subfolder. */
export interface PackSource {
  readonly dir: string
  readonly kind: 'bundled' | 'user'
}

/** Why a pack cannot be used, as data. */
export interface PackFailure {
  readonly code: string
  readonly message: string
  readonly file: string | null
  readonly tensor: string | null
  readonly expected: string | null
}

/** One installed pack as the UI lists it. */
export interface PackListing {
  /** `name@version`; for a pack whose manifest cannot be read, the folder path. */
  readonly id: string
  readonly name: string | null
  readonly version: string | null
  readonly description: string
  readonly dir: string
  readonly source: 'bundled' | 'user'
  readonly state: 'ok' | 'broken'
  readonly error: PackFailure | null
  readonly active: boolean
  /** Held-out figures the trainer recorded, if any. */
  readonly metrics: Readonly<Record<string, unknown>> | null
  readonly parent: unknown
  readonly created: string
}

/** Options of a registry. */
export interface PackRegistryOptions {
  /** Prepared images the active pipeline keeps. */
  readonly cacheSize?: number
}

interface Active {
  readonly pack: ModelPack
  readonly pipeline: RosePipeline
  readonly source: 'bundled' | 'user'
}

/** Installed packs and the active one. */
export class PackRegistry {
  private active: Active | undefined
  // Folders whose hashes were verified, by a stamp of their manifest (size and mtime).
  private readonly verified = new Map<string, string>()
  // Failures found on activation (hash, ONNX, tensors), by folder, while the manifest is unchanged.
  private readonly failures = new Map<string, { stamp: string; error: PackFailure }>()
  private disposed = false

  constructor(
    private readonly pool: SessionPool,
    private readonly sources: readonly PackSource[],
    private readonly options: PackRegistryOptions = {}
  ) {}

  /** Every pack folder of every source, each checked cheaply; broken ones carry their reason. */
  async list(): Promise<PackListing[]> {
    const listings: PackListing[] = []
    const ids = new Map<string, string>()
    for (const { dir, source } of await this.candidates()) {
      let manifest: PackManifest | undefined
      let error: PackFailure | null = null
      try {
        manifest = await readPackManifest(dir)
        await verifyPackFiles(dir, manifest, { hashes: false })
        const remembered = this.failures.get(dir)
        if (remembered !== undefined && remembered.stamp === (await manifestStamp(dir))) error = remembered.error
      } catch (e) {
        error = failureOf(e, dir)
      }
      const id = manifest ? `${manifest.name}@${manifest.version}` : dir
      const other = ids.get(id)
      if (manifest && other !== undefined && error === null) {
        error = failureOf(new PackError({ pack: dir, file: 'manifest.json', tensor: 'name, version' }, `${id} is also installed at ${other}; only the first one is used`), dir)
      } else if (manifest) ids.set(id, dir)
      listings.push({
        id,
        name: manifest?.name ?? null,
        version: manifest?.version ?? null,
        description: manifest?.description ?? '',
        dir,
        source,
        state: error === null ? 'ok' : 'broken',
        error,
        active: this.active !== undefined && this.active.pack.dir === dir,
        metrics: manifest?.metrics ?? null,
        parent: manifest?.parent ?? null,
        created: manifest?.created ?? ''
      })
    }
    return listings
  }

  /**
   * Makes a pack active: hashes (first time), every graph loaded and checked against the manifest.
   * On failure the previous pack stays active and the error (a PackError) is remembered for listings.
   */
  async activate(id: string, signal?: AbortSignal): Promise<PackListing> {
    if (this.disposed) throw new Error('the pack registry has been disposed')
    const listing = (await this.list()).find((p) => p.id === id)
    if (listing === undefined) throw new RangeError(`id: no installed model pack is called ${JSON.stringify(id)}`)
    if (listing.active) return listing
    if (listing.state === 'broken') throw new PackError(problemOf(listing), '', { message: listing.error!.message })
    const stamp = await manifestStamp(listing.dir)
    let pack: ModelPack | undefined
    try {
      pack = await ModelPack.open(listing.dir, this.pool, { verifyHashes: this.verified.get(listing.dir) !== stamp, ...(signal ? { signal } : {}) })
      this.verified.set(listing.dir, stamp)
      await pack.loadAll()
    } catch (error) {
      await pack?.dispose()
      if ((error as { code?: unknown }).code === PACK_BROKEN) this.failures.set(listing.dir, { stamp, error: failureOf(error, listing.dir) })
      throw error
    }
    this.failures.delete(listing.dir)
    const previous = this.active
    this.active = { pack, pipeline: new RosePipeline(pack, this.options.cacheSize !== undefined ? { cacheSize: this.options.cacheSize } : {}), source: listing.source }
    if (previous !== undefined) {
      previous.pipeline.dispose()
      await previous.pack.dispose()
    }
    return { ...listing, active: true }
  }

  /** The active pipeline; when none is active yet, activates the first usable pack (bundled first). */
  async pipeline(signal?: AbortSignal): Promise<RosePipeline> {
    if (this.active !== undefined) return this.active.pipeline
    const listings = await this.list()
    const usable = listings.filter((p) => p.state === 'ok')
    if (usable.length === 0) throw new ExpectedError(NO_MODEL_PACK, noUsablePackMessage(listings, this.sources.map((s) => s.dir)))
    let last: unknown
    for (const candidate of usable) {
      try {
        await this.activate(candidate.id, signal)
        return this.active!.pipeline
      } catch (error) {
        last = error
      }
    }
    throw last
  }

  /** The active pack's id, if one is active. */
  activeId(): string | undefined {
    return this.active?.pack.id
  }

  /** The active pipeline without activating anything. */
  activePipeline(): RosePipeline | undefined {
    return this.active?.pipeline
  }

  /** Releases the active pack. */
  async dispose(): Promise<void> {
    if (this.disposed) return
    this.disposed = true
    const active = this.active
    this.active = undefined
    active?.pipeline.dispose()
    await active?.pack.dispose()
  }

  private async candidates(): Promise<{ dir: string; source: 'bundled' | 'user' }[]> {
    const out: { dir: string; source: 'bundled' | 'user' }[] = []
    for (const source of this.sources) {
      let entries
      try {
        entries = await readdir(source.dir, { withFileTypes: true })
      } catch {
        continue // a packs folder that does not exist yet holds no packs
      }
      // The trainer writes packs atomically through `<name>.tmp-*` and `<name>.old-*` folders.
      const names = entries.filter((e) => e.isDirectory() && !/\.(tmp|old)-/.test(e.name)).map((e) => e.name).sort()
      for (const name of names) out.push({ dir: resolve(join(source.dir, name)), source: source.kind })
    }
    return out
  }
}

async function manifestStamp(dir: string): Promise<string> {
  try {
    const info = await stat(join(dir, 'manifest.json'))
    return `${info.size}:${info.mtimeMs}`
  } catch {
    return 'missing'
  }
}

function failureOf(error: unknown, dir: string): PackFailure {
  if (error instanceof PackError) {
    const p = error.problem
    return { code: error.code, message: error.message, file: p.file, tensor: p.tensor ?? null, expected: p.expected ?? null }
  }
  return { code: PACK_BROKEN, message: `broken model pack ${dir}: ${errorMessage(error)}`, file: null, tensor: null, expected: null }
}

function problemOf(listing: PackListing): PackProblem {
  const e = listing.error!
  return { pack: listing.dir, file: e.file, ...(e.tensor ? { tensor: e.tensor } : {}), ...(e.expected ? { expected: e.expected } : {}) }
}
