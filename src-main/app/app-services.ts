import { copyFileSync, existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import type { FileKind, ProjectInfoValue } from '../../src-preload/contract'
import { ExpectedError, InvalidArgumentError } from '../common/errors'
import type { Disposable } from '../common/lifecycle'
import { createDispatcher, type Dispatcher, type Handlers } from '../ipc/dispatch'
import { interopHandlers } from '../interop/handlers'
import { EngineSupervisor } from '../engine/host/engine-supervisor'
import type { HostLauncher } from '../engine/host/host-process'
import { AppEvents } from './app-events'
import { AUTO_ANNOTATE_JOB, runAutoAnnotate, type AutoAnnotateParams } from './auto-annotate-job'
import { EngineService } from './engine-service'
import { ProjectSession, type ServedFile } from './project-session'

/** How the app is started: where its data lives and which transport it is served over. */
export interface AppOptions {
  /** The app's version, as shown in the UI. */
  readonly version: string
  /** Which transport carries the contract. */
  readonly transport: 'ipc' | 'websocket'
  /** Folder holding `samples/` and the bundled models. */
  readonly resourcesDir: string
  /** The project to open; when absent, the default project in `defaultProjectDir`. */
  readonly projectDir?: string | undefined
  /** Where the default project lives (inside the user's data folder). */
  readonly defaultProjectDir: string
  /** Whether a brand-new default project gets the bundled sample images. */
  readonly importSamplesIntoNewDefault?: boolean
  /** Native file/folder picker; absent in serve mode, where the UI asks for a path instead. */
  readonly pickPaths?: ((kind: 'files' | 'folder') => Promise<string[]>) | undefined
  /** Starts the engine host process (fork in serve mode, utilityProcess in Electron); no engine when absent. */
  readonly engineLauncher?: HostLauncher | undefined
  /** Where the engine panel's choices (the device) are kept across restarts; not kept when absent. */
  readonly engineSettingsFile?: string | undefined
}

/**
 * The main-process services behind the contract, independent of the transport: the open project, its
 * jobs, and one handler per channel. Electron IPC and the serve-mode WebSocket both call `dispatch`.
 */
export class AppServices implements Disposable {
  /** The validating entry point both transports call. */
  readonly dispatch: Dispatcher
  /** The supervised engine process. */
  readonly engine: EngineService
  private session: ProjectSession

  private constructor(
    private readonly options: AppOptions,
    /** Contract events for the transports to forward. */
    readonly events: AppEvents,
    session: ProjectSession
  ) {
    this.session = session
    this.engine = new EngineService(
      options.engineLauncher ? new EngineSupervisor({ launcher: options.engineLauncher }) : undefined,
      events,
      options.engineSettingsFile
    )
    this.dispatch = createDispatcher(this.createHandlers())
  }

  /** Opens the configured project (creating the default one with samples on first start). */
  static async create(options: AppOptions): Promise<AppServices> {
    const events = new AppEvents()
    const dir = options.projectDir ?? options.defaultProjectDir
    const session = ProjectSession.open(dir, events)
    const services = new AppServices(options, events, session)
    if (options.projectDir === undefined && options.importSamplesIntoNewDefault !== false) await addSamplesOnce(session, options.resourcesDir, dir)
    services.afterProjectOpened()
    return services
  }

  /** The open project. */
  get project(): ProjectSession {
    return this.session
  }

  /** Resolves an image or thumbnail for the file route of either transport. */
  serveFile(kind: FileKind, id: number): Promise<ServedFile> {
    return this.session.serveFile(kind, id)
  }

  private openProject(path: string): ProjectInfoValue {
    const dir = resolve(path)
    const next = ProjectSession.open(dir, this.events)
    const previous = this.session
    this.session = next
    void previous.close()
    this.afterProjectOpened()
    return next.store.info()
  }

  private createHandlers(): Handlers {
    const s = () => this.session
    return {
      'app:info': () => ({ version: this.options.version, transport: this.options.transport, platform: process.platform }),
      'project:current': () => s().store.info(),
      'project:open': ({ path }) => this.openProject(path),
      'images:list': (r) => s().store.listImages(r),
      'images:get': ({ id }) => s().store.getImage(id),
      'images:neighbour': ({ id, direction }) => s().store.neighbour(id, direction),
      'images:setStatus': ({ id, status }) => {
        const image = s().store.setImageStatus(id, status)
        this.events.fire('images:changed', { ids: [id] })
        return image
      },
      'images:import': ({ paths, recursive }) => ({ jobId: s().startImport(paths, recursive) }),
      'instances:list': ({ imageId }) => s().store.listInstances(imageId),
      'instances:createFromPolygon': (r) => s().createFromPolygon(r),
      'instances:update': ({ id, ...patch }) => s().updateInstance(id, patch),
      'instances:updateMany': ({ ids, ...patch }) => s().updateInstances(ids, patch),
      'instances:replaceMask': (r) => s().replaceMask(r),
      'instances:delete': ({ ids }) => ({ deleted: s().deleteInstances(ids) }),
      'categories:list': () => s().store.listCategories(),
      'history:state': () => s().store.historyState(),
      'history:undo': () => s().undo(),
      'history:redo': () => s().redo(),
      'jobs:list': () => s().store.listJobs(),
      'jobs:cancel': ({ jobId }) => ({ cancelled: s().jobs.cancel(jobId) }),
      'instances:createFromMask': (r) => s().createFromMask(r),
      'engine:status': () => this.engine.status(),
      'engine:prepare': ({ imageId, nextImageIds }) =>
        this.engine.prepare(
          s().imageRef(imageId),
          nextImageIds.map((id) => s().imageRef(id))
        ),
      'engine:segment': ({ imageId, box, points }) => this.engine.segment(s().imageRef(imageId), { box, points }),
      'engine:setDevice': ({ device }) => this.engine.setDevice(device),
      'engine:restart': () => this.engine.restart(),
      'engine:packs': () => this.engine.packs(),
      'engine:activatePack': async ({ id }) => {
        const pack = await this.engine.activatePack(id)
        s().store.recordActiveModel({ name: pack.name ?? pack.id, version: pack.version ?? '', path: pack.dir, metrics: pack.metrics })
        return pack
      },
      'engine:autoAnnotate': async ({ imageIds, pack }) => {
        if (imageIds !== 'all-without-proposals') for (const id of imageIds) s().store.getImage(id)
        return { jobId: this.startAutoAnnotate({ imageIds, pack: pack ?? (await this.engine.jobPack()) }) }
      },
      'engine:refine': ({ imageId, instanceId, situation, rle, category, box, phrasing }) => {
        const instance = instanceId === undefined ? undefined : this.instanceOf(imageId, instanceId)
        return this.engine.refine(s().imageRef(imageId), {
          situation,
          ...(rle ?? instance?.rle ? { mask: rle ?? instance!.rle } : {}),
          ...(category ?? instance?.categoryText ? { category: category ?? instance!.categoryText } : {}),
          ...(box ? { box } : {}),
          ...(phrasing !== undefined ? { phrasing } : {})
        })
      },
      'engine:refer': ({ imageId, description }) => this.engine.refer(s().imageRef(imageId), description),
      'engine:suggestName': ({ imageId, instanceId, rle }) =>
        this.engine.suggestName(s().imageRef(imageId), rle ?? this.instanceOf(imageId, instanceId!).rle),
      'dialog:pickPaths': async ({ kind }) => {
        if (!this.options.pickPaths) {
          throw new ExpectedError('UNSUPPORTED', 'no native file picker in serve mode: type a path on the server instead')
        }
        return { paths: await this.options.pickPaths(kind) }
      },
      ...interopHandlers(s, this.events)
    }
  }

  /** Starts an auto-annotate job over images with one pack; returns the job id. */
  private startAutoAnnotate(params: AutoAnnotateParams): number {
    const session = this.session
    return session.jobs.start(AUTO_ANNOTATE_JOB, params, (context) =>
      runAutoAnnotate(session.store, this.engine, params, context, (imageId) => {
        this.events.fire('instances:changed', { imageId })
        this.events.fire('images:changed', { ids: [imageId] })
      })
    )
  }

  // The project's pack is preferred again, and auto-annotate jobs cut short by a restart or crash
  // continue where they stopped (finished images are recorded per pack version, so none is done twice).
  private afterProjectOpened(): void {
    if (!this.options.engineLauncher) return
    const session = this.session
    const model = session.store.activeModel()
    if (model !== undefined) this.engine.preferPack(`${model.name}@${model.version}`).catch((error: unknown) => console.warn(`[engine] cannot prefer the project's pack: ${String(error)}`))
    for (const job of session.store.jobsToResume(AUTO_ANNOTATE_JOB)) {
      const params = job.params as AutoAnnotateParams
      if (typeof params?.pack !== 'string') continue
      const jobId = this.startAutoAnnotate({ imageIds: params.imageIds, pack: params.pack, resumes: job.id })
      session.store.updateJob(job.id, { result: { resumedBy: jobId } })
    }
  }

  private instanceOf(imageId: number, instanceId: number): { rle: { size: [number, number]; counts: string }; categoryText: string } {
    const instance = this.session.store.getInstance(instanceId)
    if (instance.imageId !== imageId) throw new InvalidArgumentError(`instanceId: instance ${instanceId} belongs to image ${instance.imageId}, not ${imageId}`)
    return { rle: { size: [instance.rle.size[0], instance.rle.size[1]], counts: instance.rle.counts }, categoryText: instance.categoryText }
  }

  /** Stops running jobs and closes the project. */
  async close(): Promise<void> {
    this.engine.dispose()
    await this.session.close()
    this.events.dispose()
  }

  dispose(): void {
    void this.close()
  }
}

// Written once the samples are in the default project; until then every start tries again, so a first
// start that died halfway (the database already there) still ends with the samples.
const SAMPLES_MARKER = 'samples-imported'

/**
 * Copies the bundled sample images into the default project's `samples/` folder and imports them from
 * there, so the project holds its own files (relative paths) and survives the app being moved or
 * updated. Already imported files are skipped as duplicates by content hash.
 */
async function addSamplesOnce(session: ProjectSession, resourcesDir: string, projectDir: string): Promise<void> {
  const marker = resolve(projectDir, '.rose', SAMPLES_MARKER)
  if (existsSync(marker)) return
  const source = resolve(resourcesDir, 'samples')
  if (!existsSync(source)) {
    console.warn(`[project] no sample images at ${source}; the default project starts empty`)
    return
  }
  const target = resolve(projectDir, 'samples')
  mkdirSync(target, { recursive: true })
  for (const entry of readdirSync(source, { withFileTypes: true })) {
    if (entry.isFile()) copyFileSync(join(source, entry.name), join(target, entry.name))
  }
  await session.importSamples(target)
  writeFileSync(marker, `${new Date().toISOString()}\n`)
}
