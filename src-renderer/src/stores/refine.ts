import { defineStore } from 'pinia'
import { ref, shallowRef, watch } from 'vue'
import type { ProposedMaskValue, RequestOf } from '../../../src-preload/contract'
import { ExpectedError, describeError, isCancellation } from '../api'
import type { PromptBox } from '../canvas/prompt-draft'
import { useCategoriesStore } from './categories'
import { useEngineStore } from './engine'
import { useInstancesStore } from './instances'
import { useNotificationsStore } from './notifications'
import { usePacksStore } from './packs'
import { useSessionStore } from './session'

/** What a text correction is about: a stored instance, or an object the engine missed. */
export type RefineTarget =
  | { readonly kind: 'instance'; readonly imageId: number; readonly instanceId: number; readonly name: string }
  | { readonly kind: 'missed'; readonly imageId: number; readonly box: PromptBox | null }

/** What the user asked for, read from the command field (see `parseCommand`). */
export type RefineCommand =
  | { readonly kind: 'mask' }
  /** The name is wrong; `name` is the right one when typed, null to take the engine's. */
  | { readonly kind: 'category'; readonly name: string | null }
  /** An object inside the box; `name` typed by the user, null to take the engine's. */
  | { readonly kind: 'missed'; readonly box: PromptBox; readonly name: string | null }
  | { readonly kind: 'refer'; readonly description: string }

/** A command the field cannot run, with what to do instead. */
export interface InvalidCommand {
  readonly kind: 'invalid'
  readonly message: string
}

// "it is a dog", "it's an apple", "no, this is the sky", "that is …" (the right name follows).
const IT_IS = /^(?:no[,.!]?\s+)?(?:it'?s|it\s+is|this\s+is|that'?s|that\s+is|should\s+be)\b\s*(?:(?:an?|the)\b\s*)?(.*)$/i
// "fix the mask", "refine", "mask incomplete", "complete it": the mask situation.
const FIX_MASK = /^(?:(?:please\s+)?(?:fix|refine|repair|improve|complete|redo|correct)\b.*|.*\bmask\b.*)$/i
// "suggest", "name it", "what is it?": the category situation with the engine's name.
const ASK_NAME = /^(?:suggest(?:\s+a)?(?:\s+name)?|name\s+it|what\s+is\s+it\??|rename)$/i

function cleanName(raw: string): string | null {
  const name = raw.replace(/(?:\.\.\.|…)\s*$/, '').replace(/[.!]+$/, '').trim()
  return name === '' ? null : name
}

/**
 * Reads the command field. On an instance: nothing or "fix the mask" asks for a better mask; "it is a
 * …" says the name is wrong, with the right name if one follows (else the engine names it); a bare
 * word is read as "it is a <word>". For a missed object: with a box, the text (if any) names what is
 * in it; without one, the text describes the object for referring.
 */
export function parseCommand(text: string, target: RefineTarget): RefineCommand | InvalidCommand {
  const t = text.trim().replace(/\s+/g, ' ')
  if (target.kind === 'missed') {
    if (target.box) return { kind: 'missed', box: target.box, name: cleanName(t) }
    if (t === '') return { kind: 'invalid', message: 'Drag a box around the missed object, or describe it (e.g. “the small blue circle”).' }
    return { kind: 'refer', description: t }
  }
  if (t === '' || FIX_MASK.test(t)) return { kind: 'mask' }
  if (ASK_NAME.test(t)) return { kind: 'category', name: null }
  const itIs = IT_IS.exec(t)
  if (itIs) return { kind: 'category', name: cleanName(itIs[1] ?? '') }
  return { kind: 'category', name: cleanName(t) }
}

/** The engine request for a command: `engine:refine` in one of its situations, or `engine:refer`. */
export type RefineCall =
  | { readonly channel: 'engine:refine'; readonly request: RequestOf<'engine:refine'> }
  | { readonly channel: 'engine:refer'; readonly request: RequestOf<'engine:refer'> }

/** The request a command sends; main puts the instance's (wrong) name into the category instruction itself. */
export function refineCall(command: RefineCommand, target: RefineTarget): RefineCall {
  switch (command.kind) {
    case 'mask':
    case 'category':
      if (target.kind !== 'instance') throw new TypeError(`command: "${command.kind}" needs an instance`)
      return { channel: 'engine:refine', request: { imageId: target.imageId, situation: command.kind, instanceId: target.instanceId } }
    case 'missed':
      return { channel: 'engine:refine', request: { imageId: target.imageId, situation: 'missed', box: [...command.box] } }
    case 'refer':
      return { channel: 'engine:refer', request: { imageId: target.imageId, description: command.description } }
  }
}

/**
 * The name an accepted answer is stored under: the name the user typed; for "fix the mask" the
 * instance keeps its own (only its mask was wrong); otherwise the engine's, or `object` when it gave none.
 */
export function nameToStore(command: RefineCommand, target: RefineTarget, result: ProposedMaskValue): string {
  if ((command.kind === 'category' || command.kind === 'missed') && command.name) return command.name
  if (command.kind === 'mask' && target.kind === 'instance') return target.name
  return result.name.trim() || 'object'
}

/** Where a text correction stands: the field is open, the engine is asked, its answer is shown, or it failed. */
export type RefineState =
  | { readonly kind: 'closed' }
  | { readonly kind: 'editing'; readonly target: RefineTarget }
  | { readonly kind: 'asking'; readonly target: RefineTarget; readonly command: RefineCommand; readonly text: string }
  | {
      readonly kind: 'preview' | 'saving'
      readonly target: RefineTarget
      readonly command: RefineCommand
      /** The field's text the answer was asked with: Enter on the same text accepts, on another asks again. */
      readonly text: string
      readonly result: ProposedMaskValue
      readonly name: string
      readonly latencyMs: number
    }
  | { readonly kind: 'failed'; readonly target: RefineTarget; readonly text: string; readonly message: string }

const ENGINE_DOWN_CODES: ReadonlySet<string> = new Set(['ENGINE_UNAVAILABLE', 'ENGINE_CRASHED'])

function failureMessage(error: unknown): string {
  if (error instanceof ExpectedError && ENGINE_DOWN_CODES.has(error.code)) return `The engine is not available (${error.message}).`
  return describeError(error)
}

/**
 * Text corrections (T): refine a selected instance's mask or name by instruction, or find a missed
 * object by box or description. The answer is a preview until accepted (one undoable step: the
 * instance's mask replaced in place, or a new instance) or discarded. Requests carry sequence numbers,
 * so an answer to an older request, or one that arrives after the field was closed, is never shown.
 */
export const useRefineStore = defineStore('refine', () => {
  const session = useSessionStore()
  const instances = useInstancesStore()
  const categories = useCategoriesStore()
  const notifications = useNotificationsStore()
  const packs = usePacksStore()
  const engine = useEngineStore()
  const state = shallowRef<RefineState>({ kind: 'closed' })
  /** The command field's text. */
  const text = ref('')
  let seq = 0

  function targetOf(s: RefineState): RefineTarget | null {
    return s.kind === 'closed' ? null : s.target
  }

  /** Opens the field for a target (replacing any correction in progress). */
  function open(target: RefineTarget): void {
    seq++
    text.value = ''
    state.value = { kind: 'editing', target }
  }

  /** Closes the field; an answer still on its way is dropped. */
  function close(): void {
    seq++
    text.value = ''
    state.value = { kind: 'closed' }
  }

  /** Drops the answer on screen (or the request out), keeping the field and its text. */
  function discard(): void {
    const target = targetOf(state.value)
    if (!target) return
    seq++
    state.value = { kind: 'editing', target }
  }

  /** The missed-object tool's box changed: a new box asks the engine at once, a dropped one drops the answer. */
  function setMissedBox(box: PromptBox | null): void {
    const target = targetOf(state.value)
    if (!target || target.kind !== 'missed' || target.box === box) return
    seq++
    state.value = { kind: 'editing', target: { ...target, box } }
    if (box) void ask()
  }

  /** Asks the engine for the field's command; resolves when the answer (or failure) is shown or overtaken. */
  async function ask(): Promise<void> {
    const target = targetOf(state.value)
    if (!target) return
    const asked = text.value
    const command = parseCommand(asked, target)
    const mine = ++seq
    if (command.kind === 'invalid') {
      state.value = { kind: 'failed', target, text: asked, message: command.message }
      return
    }
    state.value = { kind: 'asking', target, command, text: asked }
    // A known obstacle (no pack, engine down) is said at once; a stale one is checked again first.
    if (packs.blocker) await Promise.all([packs.load(), engine.load().catch(() => undefined)])
    if (mine !== seq) return
    if (packs.blocker) {
      state.value = { kind: 'failed', target, text: asked, message: packs.blocker }
      return
    }
    const started = performance.now()
    try {
      const call = refineCall(command, target)
      const api = session.requireApi()
      const result = call.channel === 'engine:refine' ? await api.invoke(call.channel, call.request) : await api.invoke(call.channel, call.request)
      if (mine !== seq) return
      state.value = {
        kind: 'preview',
        target,
        command,
        text: asked,
        result,
        name: nameToStore(command, target, result),
        latencyMs: performance.now() - started
      }
    } catch (error) {
      if (mine !== seq || isCancellation(error)) return
      state.value = { kind: 'failed', target, text: asked, message: failureMessage(error) }
    }
  }

  /** Enter in the field: accepts the answer on screen when the text is what it was asked with, else asks. */
  async function submit(): Promise<boolean> {
    const s = state.value
    if (s.kind === 'closed' || s.kind === 'saving') return false
    if (s.kind === 'preview' && s.text === text.value) return accept()
    if (s.kind === 'asking' && s.text === text.value) return false
    await ask()
    return false
  }

  /**
   * Stores the answer on screen as one undoable step: on an instance its mask and name are replaced
   * (source `refined`, accepted), or with `nameOnly` just its name; a missed object becomes a new
   * accepted instance (source `refined`). True when stored; a refusal is reported and the preview stays.
   */
  async function accept(options: { readonly nameOnly?: boolean } = {}): Promise<boolean> {
    const s = state.value
    if (s.kind !== 'preview') return false
    if (s.result.area === 0 && !options.nameOnly) {
      notifications.push('error', 'Nothing to save: the model’s mask is empty. Rephrase, or draw the box again.')
      return false
    }
    state.value = { ...s, kind: 'saving' }
    const mine = ++seq
    try {
      if (s.target.kind === 'instance') {
        if (options.nameOnly) await instances.rename(s.target.instanceId, s.name)
        else await instances.replaceMask(s.target.instanceId, s.result.rle, s.name, s.result.score)
      } else {
        await instances.createFromMask(s.result.rle, s.name, s.result.score, 'refined')
      }
      await categories.load()
      if (mine !== seq) return true
      // A missed object is often one of several: the field stays open for the next one.
      if (s.target.kind === 'missed') open({ ...s.target, box: null })
      else close()
      return true
    } catch (error) {
      notifications.reportError('Saving the correction', error)
      if (mine === seq) state.value = s
      return false
    }
  }

  // A correction belongs to one image and, for an instance, to that instance: either going away ends
  // it. The missed-object field follows the user to the next image instead (its tool stays chosen).
  watch(
    () => [instances.imageId, instances.items] as const,
    ([imageId, items]) => {
      const target = targetOf(state.value)
      if (!target || state.value.kind === 'saving') return
      if (target.imageId !== imageId) {
        if (target.kind === 'missed' && imageId !== null) open({ kind: 'missed', imageId, box: null })
        else close()
      } else if (target.kind === 'instance' && !items.some((i) => i.id === target.instanceId)) close()
    }
  )

  // Selecting another instance (Tab, a click) while the field is open moves the correction to it.
  watch(
    () => instances.selected,
    (selected) => {
      const target = targetOf(state.value)
      if (!selected || target?.kind !== 'instance' || target.instanceId === selected.id || state.value.kind === 'saving') return
      open({ kind: 'instance', imageId: selected.imageId, instanceId: selected.id, name: selected.categoryText })
    }
  )

  return { state, text, open, close, discard, setMissedBox, ask, submit, accept }
})
