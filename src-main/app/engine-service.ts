import type { DeviceSettingValue, EngineStatusValue, ModelPackInfoValue, ProposedMaskValue, SegmentMaskValue } from '../../src-preload/contract'
import { errorMessage, ExpectedError } from '../common/errors'
import { DisposableStore, type Disposable } from '../common/lifecycle'
import type { EngineSupervisor, SupervisorState } from '../engine/host/engine-supervisor'
import type { EngineStatus } from '../engine/host/protocol'
import type { ImageRef } from '../engine/interactive/interactive-segmenter'
import { NO_MODEL_PACK, noUsablePackMessage } from '../engine/pack/pack-error'
import type { PackListing } from '../engine/pack/pack-registry'
import type { DenseResult, RefineRequest, RoseSingleResult } from '../engine/rose/rose-pipeline'
import type { AppEvents } from './app-events'
import { readEngineSettings, writeEngineSettings } from './engine-settings'

/** A prompt in the oriented frame of the image: a box `[x, y, w, h]` and/or points. */
export interface EnginePrompt {
  readonly box?: readonly [number, number, number, number] | undefined
  readonly points?: readonly { readonly x: number; readonly y: number; readonly positive: boolean }[] | undefined
}

/**
 * Main's side of the engine: starts the supervised host process on demand, turns its status into the
 * contract's DTO and announces changes, and carries interactive prompts. Without a supervisor (an app
 * started without an engine) every engine call fails with ENGINE_UNAVAILABLE and manual work goes on.
 */
export class EngineService implements Disposable {
  private readonly disposables = new DisposableStore()
  private lastError: string | null = null
  // The pack the user activated; every ROSE call names it, so a restarted host uses the same one.
  private preferredPack: string | undefined
  // A project's pack being looked up; ROSE calls wait for it so they do not start on another pack.
  private preferring: Promise<unknown> = Promise.resolve()
  // The device the user chose; every start of the host process (first, crash restart) gets it again.
  private device: DeviceSettingValue
  // The interactive call in flight per kind; a newer call of that kind cancels it (the user moved on).
  private readonly latest = new Map<string, AbortController>()

  constructor(
    private readonly supervisor: EngineSupervisor | undefined,
    private readonly events: AppEvents,
    /** Where the engine panel's choices are kept (`<user data>/engine-settings.json`); not kept when absent. */
    private readonly settingsFile?: string
  ) {
    this.device = settingsFile === undefined ? 'auto' : readEngineSettings(settingsFile).device
    if (supervisor) {
      this.disposables.add(
        supervisor.onDidStart(() => {
          // Sent before the requests that waited for the start, so none of them runs on another device.
          if (this.device !== 'auto') {
            supervisor.call('engine.setDevice', { device: this.device }).catch((error) => console.warn(`[engine] cannot apply the device setting: ${errorMessage(error)}`))
          }
        })
      )
      this.disposables.add(supervisor.onDidChangeState(() => void this.announce()))
      this.disposables.add(
        supervisor.onDidCrash((crash) => {
          this.lastError =
            crash.restartInMs === null
              ? `the engine process crashed ${crash.crashes} times in a row and was stopped`
              : `the engine process stopped unexpectedly (${crash.signal ?? `exit code ${crash.code}`}); restarting`
        })
      )
    }
  }

  /** Starts the engine process in the background; failures show in the status, never as a crash of main. */
  warmUp(): void {
    this.supervisor?.start().catch((error) => {
      this.lastError = errorMessage(error)
      void this.announce()
    })
  }

  /** The engine's status; asks the host for details only when it is ready. */
  async status(): Promise<EngineStatusValue> {
    const supervisor = this.supervisor
    if (!supervisor) return unavailableStatus('unavailable', 'this app was started without an engine process')
    if (supervisor.state !== 'ready') {
      if (supervisor.state === 'stopped') this.warmUp()
      return unavailableStatus(supervisor.state, this.lastError ?? stateMessage(supervisor.state))
    }
    try {
      const status = await supervisor.call('engine.status', {})
      this.lastError = null
      return toStatusDto(status, supervisor.state)
    } catch (error) {
      return unavailableStatus(supervisor.state, errorMessage(error))
    }
  }

  /**
   * Computes an image's embedding now and the next images' in the background; then, when a model pack
   * is usable, the pack's own SAM embedding of the image too, so that a refinement, a description or a
   * name suggestion on the open image answers at decoder speed.
   */
  async prepare(image: ImageRef, next: readonly ImageRef[]): Promise<{ width: number; height: number; cached: boolean }> {
    const supervisor = this.require()
    const prepared = await supervisor.call('segmenter.prepare', { image, prefetch: next })
    // Skimming through images (holding D) must not queue one pack encoding per image passed: opening the
    // next image cancels the previous one's if it has not run yet.
    void this.packParam()
      .then((pack) => this.latestOnly('prepare', (signal) => supervisor.call('rose.prepare', { image, ...pack }, { signal })))
      // No usable pack (or the image went away): the first ROSE call on the image says so itself.
      .catch(() => undefined)
    return { width: prepared.width, height: prepared.height, cached: prepared.cached }
  }

  /** Segments the object a box or points select, at interactive priority. */
  async segment(image: ImageRef, prompt: EnginePrompt): Promise<SegmentMaskValue> {
    const request = {
      ...(prompt.box !== undefined ? { box: prompt.box } : {}),
      ...(prompt.points !== undefined ? { points: prompt.points } : {})
    }
    const result = await this.latestOnly('segment', (signal) => this.require().call('segmenter.segment', { image, prompt: request }, { signal }))
    return {
      rle: { size: [result.rle.size[0], result.rle.size[1]], counts: result.rle.counts },
      bbox: [...result.bbox],
      area: result.area,
      score: result.score,
      timings: { ...result.timings }
    }
  }

  /** The installed model packs, broken ones with the file and tensor that failed. */
  async packs(): Promise<ModelPackInfoValue[]> {
    return (await this.require().call('pack.list', {})).map(toPackDto)
  }

  /** Makes a pack active (hashes, every graph checked); the previous pack stays active when this fails. */
  async activatePack(id: string): Promise<ModelPackInfoValue> {
    const listing = await this.require().call('pack.activate', { id })
    this.preferredPack = listing.id
    void this.announce()
    return toPackDto(listing)
  }

  /**
   * Prefers a pack (the one a project last used) if it is installed and sound; calls then name it.
   * Resolves false when it is not, and the engine's own choice stands.
   */
  preferPack(id: string): Promise<boolean> {
    const pending = this.require()
      .call('pack.list', {})
      .then((list) => {
        const usable = list.some((p) => p.id === id && p.state === 'ok')
        if (usable) this.preferredPack = id
        return usable
      })
    this.preferring = pending.catch(() => false)
    return pending
  }

  /**
   * The pack a new job should use: the one the user activated, else the host's active one, else the
   * first usable installed pack. Throws NO_MODEL_PACK when none is usable.
   */
  async jobPack(): Promise<string> {
    await this.preferring
    if (this.preferredPack !== undefined) return this.preferredPack
    const supervisor = this.require()
    const active = (await supervisor.call('engine.status', {})).activePack
    if (active !== null) return active
    const listings = await supervisor.call('pack.list', {})
    const usable = listings.find((p) => p.state === 'ok')
    if (usable === undefined) throw new ExpectedError(NO_MODEL_PACK, noUsablePackMessage(listings, []))
    return usable.id
  }

  /** Dense prediction of one image with a given pack, at batch priority (an auto-annotate step); `next` is decoded meanwhile. */
  dense(image: ImageRef, pack: string, signal?: AbortSignal, next?: ImageRef): Promise<DenseResult> {
    return this.require().call('rose.dense', { image, pack, ...(next ? { next } : {}) }, signal ? { signal } : {})
  }

  /** Refinement of an instance (or mask) in one of the three situations, at interactive priority. */
  async refine(image: ImageRef, request: RefineRequest): Promise<ProposedMaskValue> {
    const pack = await this.packParam()
    return toProposedDto(await this.latestOnly('refine', (signal) => this.require().call('rose.refine', { image, request, ...pack }, { signal })))
  }

  /** Referring segmentation: the object a description names. */
  async refer(image: ImageRef, description: string): Promise<ProposedMaskValue> {
    const pack = await this.packParam()
    // The refine bar asks one thing at a time: a description replaces a pending correction and vice versa.
    return toProposedDto(await this.latestOnly('refine', (signal) => this.require().call('rose.refer', { image, description, ...pack }, { signal })))
  }

  /** A generated name for a mask made without one. */
  async suggestName(image: ImageRef, mask: { size: readonly [number, number]; counts: string }): Promise<ProposedMaskValue> {
    const pack = await this.packParam()
    return toProposedDto(await this.latestOnly('name', (signal) => this.require().call('rose.name', { image, mask, ...pack }, { signal })))
  }

  /**
   * Runs an interactive call that a newer call of the same kind supersedes: the older one is cancelled
   * in the host (queued: dropped; running: stopped between model runs) and rejects with CANCELLED,
   * which the renderer ignores, so a quick series of boxes or points costs one answer, not all of them.
   */
  private async latestOnly<T>(kind: string, run: (signal: AbortSignal) => Promise<T>): Promise<T> {
    this.latest.get(kind)?.abort()
    const controller = new AbortController()
    this.latest.set(kind, controller)
    try {
      return await run(controller.signal)
    } finally {
      if (this.latest.get(kind) === controller) this.latest.delete(kind)
    }
  }

  private async packParam(): Promise<{ pack?: string }> {
    await this.preferring
    return this.preferredPack === undefined ? {} : { pack: this.preferredPack }
  }

  /** Switches the device setting (sessions are recreated on next use) and keeps it for later starts. */
  async setDevice(device: DeviceSettingValue): Promise<EngineStatusValue> {
    await this.require().call('engine.setDevice', { device })
    this.device = device
    if (this.settingsFile !== undefined) await writeEngineSettings(this.settingsFile, { device })
    return this.announce()
  }

  /** Restarts the engine process (also after it gave up on repeated crashes). */
  async restart(): Promise<EngineStatusValue> {
    this.lastError = null
    await this.require().restart()
    return this.announce()
  }

  private require(): EngineSupervisor {
    if (!this.supervisor) throw new ExpectedError('ENGINE_UNAVAILABLE', 'this app was started without an engine process')
    return this.supervisor
  }

  private async announce(): Promise<EngineStatusValue> {
    const status = await this.status()
    this.events.fire('engine:status', status)
    return status
  }

  dispose(): void {
    this.disposables.dispose()
    this.supervisor?.dispose()
  }
}

function stateMessage(state: SupervisorState): string | null {
  switch (state) {
    case 'stopped':
    case 'starting':
      return 'the engine is starting'
    case 'restarting':
      return 'the engine is restarting after a crash'
    case 'failed':
      return 'the engine process keeps crashing and is stopped; restart it'
    case 'disposed':
      return 'the engine has been shut down'
    case 'ready':
      return null
  }
}

function unavailableStatus(state: EngineStatusValue['state'], message: string | null): EngineStatusValue {
  return {
    state,
    message,
    pid: null,
    setting: 'auto',
    cuda: { available: false, kind: null, reason: null, fix: null, error: null },
    graphs: [],
    segmenter: null,
    activePack: null,
    queue: null
  }
}

function toPackDto(p: PackListing): ModelPackInfoValue {
  return {
    id: p.id,
    name: p.name,
    version: p.version,
    description: p.description,
    dir: p.dir,
    source: p.source,
    state: p.state,
    error: p.error === null ? null : { ...p.error },
    active: p.active,
    metrics: p.metrics === null ? null : { ...p.metrics },
    parent: parentLabel(p.parent),
    created: p.created
  }
}

/** `name@version` of a manifest's parent record (model-pack.md §10), `checkpoint@step` for one made from a checkpoint. */
export function parentLabel(parent: unknown): string | null {
  if (typeof parent !== 'object' || parent === null) return null
  const record = parent as Record<string, unknown>
  if (typeof record['name'] === 'string') return `${record['name']}@${String(record['version'] ?? '?')}`
  if (typeof record['checkpoint'] === 'string') return `${record['checkpoint']}@${String(record['step'] ?? '?')}`
  return null
}

function toProposedDto(r: RoseSingleResult): ProposedMaskValue {
  return {
    rle: { size: [r.rle.size[0], r.rle.size[1]], counts: r.rle.counts },
    bbox: [...r.bbox],
    area: r.area,
    name: r.name,
    score: r.score,
    patch: r.patch,
    role: r.role,
    pack: r.pack,
    prompt: r.prompt,
    timings: { totalMs: r.timings.totalMs, modelMs: r.timings.modelMs }
  }
}

function toStatusDto(status: EngineStatus, state: SupervisorState): EngineStatusValue {
  const cuda = status.cuda
  return {
    state,
    message: null,
    pid: status.pid,
    setting: status.setting,
    cuda:
      cuda.state === 'available'
        ? { available: true, kind: null, reason: null, fix: null, error: null }
        : { available: false, kind: cuda.kind, reason: cuda.reason, fix: cuda.fix ?? null, error: cuda.error ?? null },
    graphs: status.graphs.map((g) => ({ graph: g.graph, file: g.file, device: g.device, providers: [...g.providers] })),
    segmenter: { ...status.segmenter },
    activePack: status.activePack,
    queue: {
      running: status.queue.running.length,
      queued: Object.values(status.queue.queued).reduce((sum, n) => sum + n, 0)
    }
  }
}
