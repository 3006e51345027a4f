/**
 * The one API contract between the renderer and main: every channel's request and response schema,
 * and every event's payload schema. Both transports (Electron IPC and the serve-mode WebSocket) carry
 * exactly this map; main validates every request against it at the boundary.
 */
import { z } from 'zod'

export { EVENT_CHANNEL, FILE_SCHEME } from './channels'

const id = z.number().int().positive()

/** Lifecycle of an image in the review workflow. */
export const ImageStatus = z.enum(['new', 'proposed', 'in-review', 'done', 'skipped'])
/** Review state of one instance. */
export const InstanceStatus = z.enum(['proposed', 'accepted', 'rejected'])
/** Where an instance came from. */
export const InstanceSource = z.enum(['model', 'human', 'refined'])
/** State of a background job. */
export const JobState = z.enum(['queued', 'running', 'succeeded', 'failed', 'cancelled', 'interrupted'])

/** COCO compressed RLE: `size` is [height, width], `counts` the compressed string. */
export const Rle = z.object({
  size: z.tuple([z.number().int().nonnegative(), z.number().int().nonnegative()]),
  counts: z.string()
})

/** An error as it crosses a process boundary. */
export const SerializedErrorSchema = z.object({
  name: z.string(),
  code: z.string(),
  message: z.string(),
  cause: z.string().optional()
})

/** The open project, as the UI needs it. */
export const ProjectInfo = z.object({
  path: z.string(),
  name: z.string(),
  imageCount: z.number().int(),
  instanceCount: z.number().int(),
  schemaVersion: z.number().int()
})

/** One image row for the list view. */
export const ImageSummary = z.object({
  id,
  path: z.string(),
  width: z.number().int(),
  height: z.number().int(),
  status: ImageStatus,
  instanceCount: z.number().int()
})

/** Everything about one image. */
export const ImageDetail = ImageSummary.extend({
  orientation: z.number().int().min(1).max(8),
  fileSize: z.number().int(),
  contentHash: z.string(),
  format: z.string(),
  addedAt: z.string()
})

/** One stored instance (mask at full resolution in the oriented frame). */
export const Instance = z.object({
  id,
  imageId: id,
  rle: Rle,
  bbox: z.tuple([z.number(), z.number(), z.number(), z.number()]),
  area: z.number().int(),
  categoryText: z.string(),
  categoryId: id.nullable(),
  score: z.number().nullable(),
  status: InstanceStatus,
  source: InstanceSource,
  modelVersion: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string()
})

/** A project category. */
export const Category = z.object({
  id,
  name: z.string(),
  color: z.string(),
  supercategory: z.string().nullable(),
  synonyms: z.array(z.string())
})

/** What undo/redo can do right now. */
export const HistoryState = z.object({
  canUndo: z.boolean(),
  canRedo: z.boolean(),
  undoLabel: z.string().nullable(),
  redoLabel: z.string().nullable()
})

/** The result of one undo or redo step. */
export const HistoryStep = HistoryState.extend({
  applied: z.boolean(),
  label: z.string().nullable(),
  imageId: id.nullable()
})

/** Progress of a running job. */
export const JobProgress = z.object({
  jobId: id,
  kind: z.string(),
  done: z.number().int(),
  total: z.number().int().nullable(),
  ratePerSecond: z.number().nullable(),
  etaSeconds: z.number().nullable(),
  message: z.string().nullable()
})

/** A problem with one input item (a file, an annotation) that did not stop the job. */
export const ItemProblem = z.object({ item: z.string(), reason: z.string() })

/** Summary of a finished import of images. */
export const ImportReport = z.object({
  imported: z.number().int(),
  skippedDuplicates: z.array(z.object({ item: z.string(), duplicateOf: z.string() })),
  failed: z.array(ItemProblem),
  elapsedSeconds: z.number()
})

/** A job as listed and as reported when it ends. */
export const JobInfo = z.object({
  id,
  kind: z.string(),
  state: JobState,
  progress: JobProgress.nullable(),
  result: z.unknown().nullable(),
  error: SerializedErrorSchema.nullable(),
  createdAt: z.string(),
  updatedAt: z.string()
})

// ---- Interop (COCO, labelme, YOLO-seg, PNG masks): export options and reports, annotation import ----

const exportStatus = z.enum(['accepted', 'proposed'])
const exportCommon = {
  /** Which instances go out: accepted only (default), or accepted and proposed. */
  statuses: z.array(exportStatus).min(1).default(['accepted']),
  /** Only images marked done; otherwise images with an exported instance, plus done images (verified empty). */
  onlyDoneImages: z.boolean().default(false),
  /** Train/val split by image, stable for a seed: the same image lands on the same side in every export. */
  split: z
    .object({ valFraction: z.number().gt(0).lt(1), seed: z.number().int() })
    .strict()
    .nullable()
    .default(null),
  /** Folder that exported image paths are relative to; relative paths resolve against the project; null: the project folder. */
  imageRoot: z.string().min(1).nullable().default(null),
  /** Copy images into the export with EXIF orientation baked into the pixels. */
  copyImages: z.boolean().default(false)
}
const polygonOptions = {
  /** Douglas–Peucker tolerance in pixels; 0 keeps the pixel outline exactly. */
  polygonTolerance: z.number().min(0).max(100).default(0),
  /** Holes cut into the outline with a zero-width cut (rasterises exactly), or dropped (counted in the report). */
  polygonHoles: z.enum(['subtract', 'drop']).default('subtract')
}

/** What to export and how; one variant per format. */
export const ExportOptions = z.discriminatedUnion('format', [
  z
    .object({
      format: z.literal('coco'),
      ...exportCommon,
      segmentation: z.enum(['rle', 'polygon']).default('rle'),
      ...polygonOptions,
      /** Also write a COCO results file (proposed instances with scores) per annotation file. */
      resultsFile: z.boolean().default(false)
    })
    .strict(),
  z.object({ format: z.literal('labelme'), ...exportCommon, ...polygonOptions }).strict(),
  z.object({ format: z.literal('yolo-seg'), ...exportCommon, ...polygonOptions }).strict(),
  z
    .object({
      format: z.literal('masks'),
      ...exportCommon,
      /** One palette PNG per image: pixel value = class index (0 background). */
      semantic: z.boolean().default(true),
      /** One 16-bit PNG per image: pixel value = instance number, with a JSON list of the instances. */
      instance: z.boolean().default(true)
    })
    .strict()
])

const splitCounts = z.object({ images: z.number().int(), instances: z.number().int() })

/** Counts an export would produce, for the export dialog. */
export const ExportPreview = z.object({
  images: z.number().int(),
  instances: z.number().int(),
  categories: z.number().int(),
  byStatus: z.object({ accepted: z.number().int(), proposed: z.number().int() }),
  /** Instances whose mask has holes (matters for polygon formats). */
  instancesWithHoles: z.number().int(),
  /** Instances made of several separate parts. */
  instancesWithSeveralParts: z.number().int(),
  /** Images whose file has an EXIF orientation other than 1 (copy images for loaders that ignore EXIF). */
  imagesWithExifRotation: z.number().int(),
  /** Images lying outside the image root (their paths start with ../). */
  imagesOutsideRoot: z.number().int(),
  split: z.object({ train: splitCounts, val: splitCounts }).nullable(),
  warnings: z.array(z.string())
})

/** What a finished export wrote (the result of an `export` job). */
export const ExportReport = z.object({
  format: z.enum(['coco', 'labelme', 'yolo-seg', 'masks']),
  destination: z.string(),
  /** Annotation files written, relative to the destination (copied images are not listed). */
  files: z.array(z.string()),
  images: z.number().int(),
  instances: z.number().int(),
  categories: z.number().int(),
  copiedImages: z.number().int(),
  /** Items left out (an unreadable image to copy, an empty mask, a mask of the wrong size, no category). */
  skipped: z.array(ItemProblem),
  warnings: z.array(z.string()),
  /** For polygon formats: how faithful the polygons are to the masks. */
  polygons: z
    .object({
      instancesWithHoles: z.number().int(),
      holesDropped: z.number().int(),
      /** Instances whose polygons do not rasterise back to exactly their mask (simplification, dropped holes). */
      inexact: z.number().int(),
      minIou: z.number().nullable(),
      meanIou: z.number().nullable()
    })
    .nullable(),
  elapsedSeconds: z.number()
})

/** Annotation file formats the import reads. */
export const AnnotationFormat = z.enum(['coco', 'labelme', 'yolo-seg'])

/** An annotation import: what to read and how to place it on the project's images. */
export const AnnotationImportRequest = z
  .object({
    format: AnnotationFormat,
    /** COCO: the JSON file. labelme: a folder (searched recursively) or one file. YOLO-seg: the dataset folder or its data.yaml. */
    path: z.string().min(1),
    /** Folder the file's image paths are relative to; null: the annotation file's folder. */
    imageRoot: z.string().min(1).nullable().default(null),
    /** Frame of the coordinates for EXIF-rotated images: decided by comparing sizes (auto), or forced. */
    frame: z.enum(['auto', 'oriented', 'stored']).default('auto'),
    /** COCO crowd regions (iscrowd 1): skipped (the store has no crowd flag), or imported as ordinary instances. */
    crowd: z.enum(['skip', 'import']).default('skip'),
    /** Read and check everything, report what would be imported, change nothing. */
    dryRun: z.boolean().default(false)
  })
  .strict()

/** What an annotation import did (the result of an `annotations-import` job). */
export const AnnotationImportReport = z.object({
  format: AnnotationFormat,
  path: z.string(),
  dryRun: z.boolean(),
  /** Annotated images of the file that were found in the project. */
  imagesMatched: z.number().int(),
  imagesUnmatched: z.number().int(),
  instancesImported: z.number().int(),
  /** Instances already in the project with the same mask and category (a re-import). */
  instancesDuplicate: z.number().int(),
  crowdSkipped: z.number().int(),
  categoriesCreated: z.array(z.string()),
  /** File names that landed on an existing category under another spelling or as a synonym. */
  categoriesMerged: z.array(z.object({ from: z.string(), to: z.string() })),
  /** Images whose annotations were in the stored (un-rotated) frame and were turned into the oriented frame. */
  imagesConvertedFromStoredFrame: z.number().int(),
  /** Every problem, up to 1000; `problemCount` counts them all. */
  problems: z.array(ItemProblem),
  problemCount: z.number().int(),
  elapsedSeconds: z.number()
})

/** Where the engine runs: CUDA when it works, CUDA forced, or the CPU. */
export const DeviceSetting = z.enum(['auto', 'cuda', 'cpu'])

/** The engine process and its devices, as the status bar and the engine panel show them. */
export const EngineStatusInfo = z.object({
  /** `unavailable` when this app runs without an engine process (e.g. some tests). */
  state: z.enum(['unavailable', 'stopped', 'starting', 'ready', 'restarting', 'failed', 'disposed']),
  /** Why the engine is not ready, in one sentence; null when it is. */
  message: z.string().nullable(),
  pid: z.number().int().nullable(),
  setting: DeviceSetting,
  cuda: z.object({
    available: z.boolean(),
    kind: z.string().nullable(),
    reason: z.string().nullable(),
    fix: z.string().nullable(),
    error: z.string().nullable()
  }),
  graphs: z.array(z.object({ graph: z.string(), file: z.string(), device: z.string(), providers: z.array(z.string()) })),
  segmenter: z.object({ encoder: z.string(), decoder: z.string(), cachedImages: z.number().int() }).nullable(),
  /** The active model pack (`name@version`); null before the first ROSE call activates one. */
  activePack: z.string().nullable().optional(),
  queue: z.object({ running: z.number().int(), queued: z.number().int() }).nullable()
})

/** An installed model pack; a broken one carries the file, tensor and expectation that failed. */
export const ModelPackInfo = z.object({
  /** `name@version`, or the folder when its manifest cannot be read. */
  id: z.string(),
  name: z.string().nullable(),
  version: z.string().nullable(),
  description: z.string(),
  dir: z.string(),
  source: z.enum(['bundled', 'user']),
  state: z.enum(['ok', 'broken']),
  error: z
    .object({ code: z.string(), message: z.string(), file: z.string().nullable(), tensor: z.string().nullable(), expected: z.string().nullable() })
    .nullable(),
  active: z.boolean(),
  /** Held-out figures the trainer recorded (recall, names, box-prompt mIoU, …). */
  metrics: z.record(z.string(), z.unknown()).nullable(),
  /** The pack this one was fine-tuned from, as `name@version` (or `checkpoint@step`); null for a pre-trained pack. */
  parent: z.string().nullable(),
  created: z.string()
})

/** A mask with a generated name that the pack proposes (refinement, referring, naming), not stored yet. */
export const ProposedMask = z.object({
  rle: Rle,
  bbox: z.tuple([z.number(), z.number(), z.number(), z.number()]),
  area: z.number().int(),
  name: z.string(),
  /** sigmoid(objectness) of the chosen patch. */
  score: z.number(),
  /** The chosen patch and its super-patch role (small, medium, large, stuff). */
  patch: z.number().int(),
  role: z.string(),
  /** `name@version` of the pack that answered. */
  pack: z.string(),
  /** The instruction the model was given. */
  prompt: z.string(),
  timings: z.object({ totalMs: z.number(), modelMs: z.number() })
})

/** What an auto-annotate job did (its result). */
export const AutoAnnotateReport = z.object({
  pack: z.string(),
  /** Images the job covered, those annotated now, and those the pack version had already annotated. */
  images: z.number().int(),
  annotated: z.number().int(),
  alreadyDone: z.number().int(),
  instances: z.number().int(),
  failed: z.array(ItemProblem),
  elapsedSeconds: z.number(),
  imagesPerSecond: z.number().nullable()
})

/** A mask the engine proposes for a prompt, not stored yet. */
export const SegmentMask = z.object({
  rle: Rle,
  bbox: z.tuple([z.number(), z.number(), z.number(), z.number()]),
  area: z.number().int(),
  score: z.number(),
  timings: z.object({ embeddingMs: z.number(), decoderMs: z.number(), postprocessMs: z.number(), totalMs: z.number() })
})

const promptPoint = z.object({ x: z.number().finite(), y: z.number().finite(), positive: z.boolean() }).strict()
const box = z.tuple([z.number().finite(), z.number().finite(), z.number().finite(), z.number().finite()])

const empty = z.object({}).strict()
const polygonRing = z
  .array(z.number().finite())
  .min(6, 'a polygon ring needs at least 3 points')
  .refine((ring) => ring.length % 2 === 0, 'a polygon ring needs an even number of coordinates')
const categoryName = z.string().trim().min(1, 'category name must not be empty').max(200)

/** Every request channel: its request and response schemas. */
export const channels = {
  'app:info': {
    request: empty,
    response: z.object({ version: z.string(), transport: z.enum(['ipc', 'websocket']), platform: z.string() })
  },
  'project:current': { request: empty, response: ProjectInfo },
  'project:open': { request: z.object({ path: z.string().min(1) }).strict(), response: ProjectInfo },
  'images:list': {
    request: z
      .object({
        offset: z.number().int().nonnegative(),
        limit: z.number().int().positive().max(1000),
        status: ImageStatus.optional()
      })
      .strict(),
    response: z.object({ total: z.number().int(), items: z.array(ImageSummary) })
  },
  'images:get': { request: z.object({ id }).strict(), response: ImageDetail },
  'images:neighbour': {
    request: z.object({ id, direction: z.enum(['previous', 'next']) }).strict(),
    response: z.object({ id: id.nullable(), index: z.number().int() })
  },
  'images:setStatus': { request: z.object({ id, status: ImageStatus }).strict(), response: ImageSummary },
  'images:import': {
    request: z
      .object({ paths: z.array(z.string().min(1)).min(1), recursive: z.boolean().default(true) })
      .strict(),
    response: z.object({ jobId: id })
  },
  'instances:list': { request: z.object({ imageId: id }).strict(), response: z.array(Instance) },
  'instances:createFromPolygon': {
    request: z
      .object({
        imageId: id,
        polygons: z.array(polygonRing).min(1),
        categoryText: categoryName,
        status: InstanceStatus.default('accepted')
      })
      .strict(),
    response: Instance
  },
  'instances:update': {
    request: z
      .object({ id, categoryText: categoryName.optional(), status: InstanceStatus.optional() })
      .strict()
      .refine((r) => r.categoryText !== undefined || r.status !== undefined, 'nothing to update'),
    response: Instance
  },
  'instances:updateMany': {
    request: z
      .object({ ids: z.array(id).min(1).max(10_000), categoryText: categoryName.optional(), status: InstanceStatus.optional() })
      .strict()
      .refine((r) => r.categoryText !== undefined || r.status !== undefined, 'nothing to update'),
    response: z.array(Instance)
  },
  'instances:replaceMask': {
    request: z
      .object({
        id,
        rle: Rle,
        categoryText: categoryName.optional(),
        source: InstanceSource.default('refined'),
        status: InstanceStatus.optional(),
        score: z.number().finite().nullable().optional()
      })
      .strict(),
    response: Instance
  },
  'instances:delete': { request: z.object({ ids: z.array(id).min(1) }).strict(), response: z.object({ deleted: z.number().int() }) },
  'categories:list': { request: empty, response: z.array(Category) },
  'history:state': { request: empty, response: HistoryState },
  'history:undo': { request: empty, response: HistoryStep },
  'history:redo': { request: empty, response: HistoryStep },
  'jobs:list': { request: empty, response: z.array(JobInfo) },
  'jobs:cancel': { request: z.object({ jobId: id }).strict(), response: z.object({ cancelled: z.boolean() }) },
  'dialog:pickPaths': {
    request: z.object({ kind: z.enum(['files', 'folder']) }).strict(),
    response: z.object({ paths: z.array(z.string()) })
  },
  'export:preview': { request: z.object({ options: ExportOptions }).strict(), response: ExportPreview },
  'export:start': {
    request: z.object({ options: ExportOptions, destination: z.string().min(1) }).strict(),
    response: z.object({ jobId: id })
  },
  'annotations:import': { request: AnnotationImportRequest, response: z.object({ jobId: id }) },
  'instances:createFromMask': {
    request: z
      .object({
        imageId: id,
        rle: Rle,
        categoryText: categoryName,
        status: InstanceStatus.default('accepted'),
        source: InstanceSource.default('human'),
        score: z.number().finite().nullable().default(null)
      })
      .strict(),
    response: Instance
  },
  'engine:status': { request: empty, response: EngineStatusInfo },
  'engine:prepare': {
    request: z.object({ imageId: id, nextImageIds: z.array(id).max(8).default([]) }).strict(),
    response: z.object({ width: z.number().int(), height: z.number().int(), cached: z.boolean() })
  },
  'engine:segment': {
    request: z
      .object({ imageId: id, box: box.optional(), points: z.array(promptPoint).max(64).optional() })
      .strict()
      .refine((r) => r.box !== undefined || (r.points?.length ?? 0) > 0, 'a prompt needs a box or at least one point'),
    response: SegmentMask
  },
  'engine:setDevice': { request: z.object({ device: DeviceSetting }).strict(), response: EngineStatusInfo },
  'engine:restart': { request: empty, response: EngineStatusInfo },
  'engine:packs': { request: empty, response: z.array(ModelPackInfo) },
  'engine:activatePack': { request: z.object({ id: z.string().min(1) }).strict(), response: ModelPackInfo },
  'engine:autoAnnotate': {
    request: z
      .object({
        imageIds: z.union([z.array(id).min(1), z.literal('all-without-proposals')]),
        /** The pack to use (`name@version`); the active one by default. */
        pack: z.string().min(1).optional()
      })
      .strict(),
    response: z.object({ jobId: id })
  },
  'engine:refine': {
    request: z
      .object({
        imageId: id,
        situation: z.enum(['mask', 'category', 'missed']),
        /** The instance to refine: its mask, and its name as the wrong one in the category situation. */
        instanceId: id.optional(),
        /** A mask instead of a stored instance. */
        rle: Rle.optional(),
        /** The wrong name (category situation), instead of the instance's. */
        category: categoryName.optional(),
        /** `[x, y, w, h]` around the missed object (missed situation). */
        box: box.optional(),
        /** Which phrasing of the situation's templates; 0 by default. */
        phrasing: z.number().int().nonnegative().optional()
      })
      .strict()
      .refine(
        (r) => (r.situation === 'missed' ? r.box !== undefined : r.instanceId !== undefined || r.rle !== undefined),
        'the mask and category situations need instanceId or rle; the missed situation needs box'
      ),
    response: ProposedMask
  },
  'engine:refer': {
    request: z.object({ imageId: id, description: z.string().trim().min(1, 'description must not be empty').max(500) }).strict(),
    response: ProposedMask
  },
  'engine:suggestName': {
    request: z
      .object({ imageId: id, instanceId: id.optional(), rle: Rle.optional() })
      .strict()
      .refine((r) => (r.instanceId !== undefined) !== (r.rle !== undefined), 'give either instanceId or rle'),
    response: ProposedMask
  }
} as const

/** Every event main pushes to the renderer, with its payload schema. */
export const events = {
  'job:progress': JobProgress,
  'job:done': JobInfo,
  'images:changed': z.object({ ids: z.array(id).nullable() }),
  'instances:changed': z.object({ imageId: id }),
  'history:changed': HistoryState,
  'engine:status': EngineStatusInfo
} as const

/** Name of a request channel. */
export type Channel = keyof typeof channels
/** Name of an event. */
export type EventName = keyof typeof events
/** What a caller passes on a channel (defaults may be omitted). */
export type RequestOf<C extends Channel> = z.input<(typeof channels)[C]['request']>
/** What a handler receives on a channel, after validation and defaults. */
export type ParsedRequestOf<C extends Channel> = z.output<(typeof channels)[C]['request']>
/** What a channel answers. */
export type ResponseOf<C extends Channel> = z.output<(typeof channels)[C]['response']>
/** The payload of an event. */
export type EventOf<E extends EventName> = z.output<(typeof events)[E]>

/** Serialized error data. */
export type SerializedError = z.output<typeof SerializedErrorSchema>
/** How an answer travels: a value or an error, never a thrown exception. */
export type Envelope<T> = { ok: true; value: T } | { ok: false; error: SerializedError }

export type ImageStatusValue = z.output<typeof ImageStatus>
export type InstanceStatusValue = z.output<typeof InstanceStatus>
export type InstanceSourceValue = z.output<typeof InstanceSource>
export type JobStateValue = z.output<typeof JobState>
export type RleValue = z.output<typeof Rle>
export type ProjectInfoValue = z.output<typeof ProjectInfo>
export type ImageSummaryValue = z.output<typeof ImageSummary>
export type ImageDetailValue = z.output<typeof ImageDetail>
export type InstanceValue = z.output<typeof Instance>
export type CategoryValue = z.output<typeof Category>
export type HistoryStateValue = z.output<typeof HistoryState>
export type HistoryStepValue = z.output<typeof HistoryStep>
export type JobProgressValue = z.output<typeof JobProgress>
export type JobInfoValue = z.output<typeof JobInfo>
export type ImportReportValue = z.output<typeof ImportReport>
export type ItemProblemValue = z.output<typeof ItemProblem>
/** The engine status DTO. */
export type EngineStatusValue = z.output<typeof EngineStatusInfo>
/** A proposed mask for a prompt. */
export type SegmentMaskValue = z.output<typeof SegmentMask>
/** The device setting. */
export type DeviceSettingValue = z.output<typeof DeviceSetting>
/** An installed model pack. */
export type ModelPackInfoValue = z.output<typeof ModelPackInfo>
/** A mask with a name the pack proposes. */
export type ProposedMaskValue = z.output<typeof ProposedMask>
/** The result of an auto-annotate job. */
export type AutoAnnotateReportValue = z.output<typeof AutoAnnotateReport>
export type ExportOptionsValue = z.output<typeof ExportOptions>
export type ExportPreviewValue = z.output<typeof ExportPreview>
export type ExportReportValue = z.output<typeof ExportReport>
export type AnnotationImportRequestValue = z.output<typeof AnnotationImportRequest>
export type AnnotationImportReportValue = z.output<typeof AnnotationImportReport>

/** Messages on the serve-mode WebSocket (`/api/ws?token=…`): calls go up, results and events come down. */
export type WireMessage =
  | { type: 'call'; id: number; channel: string; request: unknown }
  | { type: 'result'; id: number; envelope: Envelope<unknown> }
  | { type: 'event'; event: string; payload: unknown }

/** The kinds of image file main serves: the oriented full image and its cached thumbnail. */
export type FileKind = 'image' | 'thumb'

