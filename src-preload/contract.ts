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
  }
} as const

/** Every event main pushes to the renderer, with its payload schema. */
export const events = {
  'job:progress': JobProgress,
  'job:done': JobInfo,
  'images:changed': z.object({ ids: z.array(id).nullable() }),
  'instances:changed': z.object({ imageId: id }),
  'history:changed': HistoryState
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

/** Messages on the serve-mode WebSocket (`/api/ws?token=…`): calls go up, results and events come down. */
export type WireMessage =
  | { type: 'call'; id: number; channel: string; request: unknown }
  | { type: 'result'; id: number; envelope: Envelope<unknown> }
  | { type: 'event'; event: string; payload: unknown }

/** The kinds of image file main serves: the oriented full image and its cached thumbnail. */
export type FileKind = 'image' | 'thumb'

