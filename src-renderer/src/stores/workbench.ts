import { defineStore } from 'pinia'
import type { HistoryStepValue, ImageStatusValue, InstanceStatusValue } from '../../../src-preload/contract'
import { useCategoriesStore } from './categories'
import { useEngineStore } from './engine'
import { useHistoryStore } from './history'
import { useImagesStore } from './images'
import { useInstancesStore } from './instances'
import { useJobsStore } from './jobs'
import { useNotificationsStore } from './notifications'
import { usePacksStore } from './packs'
import { usePromptStore } from './prompt'
import { useSessionStore } from './session'

/** Which images an auto-annotation covers: the open one, those marked in the list, or every image without proposals. */
export type AutoAnnotateScope = 'image' | 'marked' | 'all-without-proposals'

/** How many images after the open one get their embedding computed in the background (X-AnyLabeling does one). */
export const PREFETCH_AHEAD = 2

/**
 * The user's actions that span several stores (open an image with its instances, undo that may jump to
 * another image, review the selection). Keyboard, buttons and tests all go through here; failures are
 * reported to the user instead of thrown.
 */
export const useWorkbenchStore = defineStore('workbench', () => {
  const session = useSessionStore()
  const images = useImagesStore()
  const instances = useInstancesStore()
  const categories = useCategoriesStore()
  const history = useHistoryStore()
  const jobs = useJobsStore()
  const notifications = useNotificationsStore()
  const engine = useEngineStore()
  const prompt = usePromptStore()
  const packs = usePacksStore()

  // Where the user was, per project, so a reload (or the next start) reopens the same image.
  function lastImageKey(): string | null {
    return session.project ? `rose:last-image:${session.project.path}` : null
  }

  function rememberImage(id: number): void {
    const key = lastImageKey()
    try {
      if (key) localStorage.setItem(key, String(id))
    } catch {
      // Storage may be disabled; forgetting the position is harmless.
    }
  }

  function rememberedImage(): number | null {
    const key = lastImageKey()
    try {
      const id = key ? Number(localStorage.getItem(key)) : NaN
      return Number.isInteger(id) && id > 0 ? id : null
    } catch {
      return null
    }
  }

  async function guarded<T>(what: string, work: () => Promise<T>): Promise<T | undefined> {
    try {
      return await work()
    } catch (error) {
      notifications.reportError(what, error)
      return undefined
    }
  }

  /** Loads everything the screen shows; called on start and after every reconnect. */
  async function loadAll(): Promise<void> {
    await guarded('Loading the project', async () => {
      // The engine's status is not needed to work, so its failure must not fail the screen's load.
      void engine.load().catch((error: unknown) => console.warn('[engine] status failed', error))
      void packs.load()
      await Promise.all([session.refreshProject(), images.refresh(), categories.load(), history.load(), jobs.load()])
      if (images.currentId !== null) return instances.load(images.currentId)
      if ((images.total ?? 0) === 0) return
      const remembered = rememberedImage()
      const reopened = remembered !== null && (await openImage(remembered, undefined, { quiet: true }))
      if (!reopened) await openIndex(0)
    })
  }

  /** Opens an image and loads its instances; false when it failed (reported unless `quiet`). */
  async function openImage(id: number, index?: number, options: { quiet?: boolean } = {}): Promise<boolean> {
    try {
      await Promise.all([images.open(id, index), instances.load(id)])
      rememberImage(id)
      prepareEngine()
      return true
    } catch (error) {
      if (!options.quiet) notifications.reportError('Opening the image', error)
      return false
    }
  }

  /** Asks the engine to get the open image (and the next ones in list order) ready for box and point prompts. */
  function prepareEngine(): void {
    const id = images.currentId
    const index = images.currentIndex
    if (id === null) return
    engine.prepareSoon(id, async () => {
      if (index === null) return []
      await images.ensureRange(index + 1, index + PREFETCH_AHEAD)
      const next: number[] = []
      for (let i = index + 1; i <= index + PREFETCH_AHEAD; i++) {
        const row = images.rowAt(i)
        if (row) next.push(row.id)
      }
      return next
    })
  }

  /** Opens the image at a list index. */
  async function openIndex(index: number): Promise<void> {
    await images.ensureRange(index, index)
    const row = images.rowAt(index)
    if (row) await openImage(row.id, index)
  }

  let pendingSteps = 0
  let stepping = false

  /**
   * Goes to the previous or next image (A / D). Presses that arrive while an image is loading add up
   * and are applied as one jump, so quick taps are never lost and a held key skims without a backlog.
   */
  async function step(direction: 'previous' | 'next'): Promise<void> {
    pendingSteps += direction === 'next' ? 1 : -1
    if (stepping) return
    stepping = true
    try {
      while (pendingSteps !== 0) {
        const delta = pendingSteps
        pendingSteps = 0
        await guarded('Changing image', () => moveBy(delta))
      }
    } finally {
      stepping = false
    }
  }

  async function moveBy(delta: number): Promise<void> {
    const total = images.total ?? 0
    if (total === 0) return
    const from = images.currentIndex
    if (from === null) {
      await openIndex(0)
      return
    }
    const target = Math.min(total - 1, Math.max(0, from + delta))
    if (target === from) {
      notifications.push('info', delta > 0 ? 'This is the last image' : 'This is the first image')
      return
    }
    await openIndex(target)
  }

  async function applyHistory(step: HistoryStepValue, verb: 'Undid' | 'Redid'): Promise<void> {
    if (!step.applied) {
      notifications.push('info', verb === 'Undid' ? 'Nothing to undo' : 'Nothing to redo')
      return
    }
    // A step may belong to another image: show the user where it happened.
    if (step.imageId !== null && step.imageId !== images.currentId) await openImage(step.imageId)
    else await instances.reload()
    notifications.push('info', `${verb}: ${step.label ?? 'last action'}`)
  }

  /** Undoes the project's last step (Ctrl+Z). */
  async function undo(): Promise<void> {
    await guarded('Undo', async () => applyHistory(await history.undo(), 'Undid'))
  }

  /** Redoes the last undone step (Ctrl+Shift+Z / Ctrl+Y). */
  async function redo(): Promise<void> {
    await guarded('Redo', async () => applyHistory(await history.redo(), 'Redid'))
  }

  /** Sets the review status of the open image. */
  async function setImageStatus(status: ImageStatusValue): Promise<void> {
    const image = images.current
    if (!image || image.status === status) return
    await guarded('Setting the image status', async () => {
      await session.requireApi().invoke('images:setStatus', { id: image.id, status })
      await images.refresh()
    })
  }

  /** Sets the review status of an instance (default: the selected one). */
  async function setStatus(status: InstanceStatusValue, id = instances.selectedId): Promise<void> {
    if (id === null) return
    await guarded(status === 'accepted' ? 'Accepting' : status === 'rejected' ? 'Rejecting' : 'Updating', () =>
      instances.setStatus(id, status)
    )
  }

  /** Deletes an instance (default: the selected one). */
  async function remove(id = instances.selectedId): Promise<void> {
    if (id === null) return
    await guarded('Deleting', () => instances.remove([id]))
  }

  /** Renames an instance's category. */
  async function rename(id: number, categoryText: string): Promise<boolean> {
    const done = await guarded('Renaming', async () => {
      await instances.rename(id, categoryText)
      await categories.load()
      return true
    })
    return done ?? false
  }

  /** Stores a drawn polygon under a category name; false when main refused it (reason shown). */
  async function savePolygon(polygon: readonly number[], categoryText: string): Promise<boolean> {
    const done = await guarded('Saving the polygon', async () => {
      await instances.createFromPolygon(polygon, categoryText)
      await categories.load()
      return true
    })
    return done ?? false
  }

  /**
   * Stores the engine's mask for the newest box/point prompt under a category name, once its answer is
   * in; false when there is nothing to store (the prompt failed or selected nothing: the reason is shown).
   */
  async function saveMask(categoryText: string): Promise<boolean> {
    const imageId = images.currentId
    if (imageId === null) return false
    const done = await guarded('Saving the mask', async () => {
      const answer = await prompt.maskToSave(imageId)
      if (!answer) {
        const why = prompt.failure?.message ?? (prompt.preview?.mask.area === 0 ? 'the prompt selects no pixel' : 'no mask for this prompt yet')
        notifications.push('error', `Nothing to save: ${why}`)
        return false
      }
      await instances.createFromMask(answer.mask.rle, categoryText, answer.mask.score)
      await categories.load()
      return true
    })
    return done ?? false
  }

  /**
   * Starts auto-annotating (Ctrl+Enter: the open image; Ctrl+Shift+Enter: the marked images; or every
   * image without proposals) with the active pack; returns the job id, or null when nothing was started
   * (the reason is shown: no image, no usable pack, engine down, or main's refusal).
   */
  async function autoAnnotate(scope: AutoAnnotateScope): Promise<number | null> {
    const ids: readonly number[] | 'all-without-proposals' =
      scope === 'image' ? (images.currentId === null ? [] : [images.currentId]) : scope === 'marked' ? [...images.marked] : scope
    if (ids !== 'all-without-proposals' && ids.length === 0) {
      notifications.push('info', scope === 'image' ? 'No image is open' : 'No images are marked: Ctrl+click or Shift+click images in the list')
      return null
    }
    // A known obstacle is checked again before it is reported: the pack may have been installed since.
    if (packs.blocker) await Promise.all([packs.load(), engine.load().catch(() => undefined)])
    if (packs.blocker) {
      notifications.push('error', `Auto-annotation is not possible. ${packs.blocker}`)
      return null
    }
    const jobId = await guarded('Auto-annotation', () => jobs.startAutoAnnotate(ids))
    return jobId ?? null
  }

  return { loadAll, openImage, openIndex, step, undo, redo, setImageStatus, setStatus, remove, rename, savePolygon, saveMask, prepareEngine, autoAnnotate }
})
