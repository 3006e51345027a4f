import type {
  HistoryStepValue,
  ImageDetailValue,
  InstanceSourceValue,
  InstanceStatusValue,
  InstanceValue,
  ImportReportValue
} from '../../src-preload/contract'
import { errorMessage, ExpectedError, InvalidArgumentError } from '../common/errors'
import { resolveProjectPath } from '../images/project-path'
import { area, compress, fromString, toBbox } from '../masks/rle'
import { JobManager } from '../jobs/job-manager'
import { polygonsToMask } from '../masks/polygon-mask'
import { ProjectStore, type InstancePatch } from '../store/project-store'
import type { AppEvents } from './app-events'
import { ImageFiles, type ServedFile } from './image-files'
import { runImport } from './import-job'

export type { ServedFile } from './image-files'

/** One open project: its store, its jobs, and the operations that change it and announce the change. */
export class ProjectSession {
  private constructor(
    /** The project's database. */
    readonly store: ProjectStore,
    /** Background jobs of this project. */
    readonly jobs: JobManager,
    private readonly events: AppEvents,
    private readonly files: ImageFiles
  ) {
    jobs.onDidProgress((progress) => events.fire('job:progress', progress))
    jobs.onDidFinish((info) => events.fire('job:done', info))
  }

  /** Opens (creating when needed) the project in `root`. */
  static open(root: string, events: AppEvents): ProjectSession {
    let store: ProjectStore
    try {
      store = ProjectStore.open(root)
    } catch (error) {
      throw new ExpectedError('PROJECT_OPEN_FAILED', `cannot open the project in ${root}: ${errorMessage(error)}`, { cause: error })
    }
    return new ProjectSession(store, new JobManager(store), events, new ImageFiles(store))
  }

  /** Starts an import job for files and folders; returns the job id. */
  startImport(paths: readonly string[], recursive: boolean): number {
    return this.jobs.start('import', { paths, recursive }, async (context) => {
      const report = await runImport(this.store, { paths, recursive }, context)
      this.events.fire('images:changed', { ids: null })
      return report
    })
  }

  /** Imports the bundled sample images and waits for the import to end. */
  async importSamples(samplesDir: string): Promise<ImportReportValue | null> {
    const jobId = this.startImport([samplesDir], true)
    const info = await this.jobs.whenDone(jobId)
    return (info.result as ImportReportValue | null) ?? null
  }

  /** Rasterises polygons (image pixel coordinates) into a mask and stores it as one undoable instance. */
  createFromPolygon(request: {
    imageId: number
    polygons: number[][]
    categoryText: string
    status: InstanceStatusValue
  }): InstanceValue {
    const image = this.store.getImage(request.imageId)
    const mask = polygonsToMask(request.polygons, image.height, image.width)
    if (mask.area === 0) {
      throw new ExpectedError('EMPTY_MASK', `the polygon covers no pixel of image ${image.id} (${image.path})`)
    }
    const created = this.store.createInstance(
      {
        imageId: image.id,
        rle: mask.rle,
        bbox: mask.bbox,
        area: mask.area,
        categoryText: request.categoryText,
        status: request.status,
        source: 'human'
      },
      'Draw polygon'
    )
    this.changed(image.id)
    return created
  }

  /** Stores a mask made elsewhere (the engine, a tool in the UI) as one undoable instance, after checking it. */
  createFromMask(request: {
    imageId: number
    rle: { size: [number, number]; counts: string }
    categoryText: string
    status: InstanceStatusValue
    source: InstanceSourceValue
    score: number | null
  }): InstanceValue {
    const image = this.store.getImage(request.imageId)
    const mask = this.checkedMask(image, request.rle)
    const created = this.store.createInstance(
      {
        imageId: image.id,
        ...mask,
        categoryText: request.categoryText,
        score: request.score,
        status: request.status,
        source: request.source
      },
      request.source === 'human' ? 'Add mask' : 'Add proposed mask'
    )
    this.changed(image.id)
    return created
  }

  /** Replaces an instance's mask (a refinement) as one undoable action. */
  replaceMask(request: {
    id: number
    rle: { size: [number, number]; counts: string }
    categoryText?: string | undefined
    source: InstanceSourceValue
    status?: InstanceStatusValue | undefined
    score?: number | null | undefined
  }): InstanceValue {
    const current = this.store.getInstance(request.id)
    const mask = this.checkedMask(this.store.getImage(current.imageId), request.rle)
    const replaced = this.store.replaceMask(
      request.id,
      { ...mask, ...(request.score !== undefined ? { score: request.score } : {}) },
      {
        source: request.source,
        ...(request.categoryText !== undefined ? { categoryText: request.categoryText } : {}),
        ...(request.status !== undefined ? { status: request.status } : {})
      }
    )
    this.changed(current.imageId)
    return replaced
  }

  /** Changes the status or category of several instances of one image as one undoable action. */
  updateInstances(ids: readonly number[], patch: InstancePatch): InstanceValue[] {
    const imageIds = new Set(ids.map((id) => this.store.getInstance(id).imageId))
    if (imageIds.size > 1) throw new InvalidArgumentError('ids: all instances of one bulk edit must belong to one image')
    const updated = this.store.updateInstances(ids, patch)
    this.changed(updated[0]!.imageId)
    return updated
  }

  /** Checks that a mask from outside fits the image and is not empty; returns it with its area and box. */
  private checkedMask(image: ImageDetailValue, rle: { size: [number, number]; counts: string }) {
    const [h, w] = rle.size
    if (h !== image.height || w !== image.width) {
      throw new InvalidArgumentError(
        `rle.size: the mask is ${h}×${w} (height×width) but image ${image.id} (${image.path}) is ${image.height}×${image.width}`
      )
    }
    let runs
    try {
      runs = fromString(rle.counts, h, w)
    } catch (error) {
      throw new InvalidArgumentError(`rle.counts: ${errorMessage(error)}`)
    }
    const maskArea = area(runs)
    if (maskArea === 0) throw new ExpectedError('EMPTY_MASK', `the mask covers no pixel of image ${image.id} (${image.path})`)
    return { rle: compress(runs), bbox: toBbox(runs), area: maskArea }
  }

  /** What the engine needs to read an image: its file and a key that changes with its content. */
  imageRef(imageId: number): { path: string; key: string } {
    const image = this.store.getImage(imageId)
    return { path: resolveProjectPath(this.store.root, image.path), key: image.contentHash }
  }

  /** Renames or re-statuses an instance as one undoable action. */
  updateInstance(id: number, patch: InstancePatch): InstanceValue {
    const updated = this.store.updateInstance(id, patch)
    this.changed(updated.imageId)
    return updated
  }

  /** Deletes instances as one undoable action. */
  deleteInstances(ids: readonly number[]): number {
    const imageId = this.store.getInstance(ids[0]!).imageId
    const deleted = this.store.deleteInstances(ids)
    this.changed(imageId)
    return deleted
  }

  /** Undoes the newest instance edit. */
  undo(): HistoryStepValue {
    return this.afterStep(this.store.undo())
  }

  /** Redoes the last undone instance edit. */
  redo(): HistoryStepValue {
    return this.afterStep(this.store.redo())
  }

  /** The file to send for an image or its thumbnail. */
  serveFile(kind: 'image' | 'thumb', id: number): Promise<ServedFile> {
    return kind === 'image' ? this.files.displayImage(id) : this.files.thumbnail(id)
  }

  /** Cancels running jobs, waits for them, and closes the database. */
  async close(): Promise<void> {
    await this.jobs.shutdown()
    this.jobs.dispose()
    this.store.close()
  }

  private afterStep(step: HistoryStepValue): HistoryStepValue {
    if (step.applied && step.imageId !== null) this.changed(step.imageId)
    else this.events.fire('history:changed', this.store.historyState())
    return step
  }

  private changed(imageId: number): void {
    this.events.fire('instances:changed', { imageId })
    this.events.fire('images:changed', { ids: [imageId] })
    this.events.fire('history:changed', this.store.historyState())
  }
}
