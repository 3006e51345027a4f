import type { Channel, EventName } from './contract'

/**
 * Channel and event names without the schemas, for the sandboxed preload (which must not bundle the
 * schema library). The type assertions below fail to compile when this list drifts from the contract.
 */
export const CHANNEL_NAMES = [
  'app:info',
  'project:current',
  'project:open',
  'images:list',
  'images:get',
  'images:neighbour',
  'images:setStatus',
  'images:import',
  'instances:list',
  'instances:createFromPolygon',
  'instances:update',
  'instances:updateMany',
  'instances:replaceMask',
  'instances:delete',
  'categories:list',
  'history:state',
  'history:undo',
  'history:redo',
  'jobs:list',
  'jobs:cancel',
  'dialog:pickPaths',
  'export:preview',
  'export:start',
  'annotations:import',
  'instances:createFromMask',
  'engine:status',
  'engine:prepare',
  'engine:segment',
  'engine:setDevice',
  'engine:restart',
  'engine:packs',
  'engine:activatePack',
  'engine:autoAnnotate',
  'engine:refine',
  'engine:refer',
  'engine:suggestName'
] as const satisfies readonly Channel[]

/** Every event name, as listed in the contract. */
export const EVENT_NAMES = [
  'job:progress',
  'job:done',
  'images:changed',
  'instances:changed',
  'history:changed',
  'engine:status'
] as const satisfies readonly EventName[]

type Missing<All, Listed> = Exclude<All, Listed>
/** Compile-time proof that no channel or event is missing from the lists above. */
export const contractListsComplete: [Missing<Channel, (typeof CHANNEL_NAMES)[number]>, Missing<EventName, (typeof EVENT_NAMES)[number]>] extends [never, never]
  ? true
  : never = true

/** URL scheme the Electron shell registers for image files (`rose-file://image/12`). */
export const FILE_SCHEME = 'rose-file'
/** IPC channel that carries every main → renderer event in the Electron transport. */
export const EVENT_CHANNEL = 'rose:event'
