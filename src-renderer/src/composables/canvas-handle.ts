import { inject, provide, shallowRef, type InjectionKey, type ShallowRef } from 'vue'
import type { AnnotationCanvas } from '../canvas/annotation-canvas'

/** The canvas facade of the screen, once its view has mounted (never reactive inside). */
export type CanvasHandle = ShallowRef<AnnotationCanvas | null>

const CANVAS_KEY: InjectionKey<CanvasHandle> = Symbol('annotation-canvas')

/** Creates the handle and makes it available to the components below. */
export function provideCanvasHandle(): CanvasHandle {
  const handle: CanvasHandle = shallowRef(null)
  provide(CANVAS_KEY, handle)
  return handle
}

/** The handle provided by the app shell. */
export function useCanvasHandle(): CanvasHandle {
  const handle = inject(CANVAS_KEY)
  if (!handle) throw new Error('useCanvasHandle() needs provideCanvasHandle() in an ancestor')
  return handle
}
