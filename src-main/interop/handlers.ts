import type { AppEvents } from '../app/app-events'
import type { ProjectSession } from '../app/project-session'
import type { Handlers } from '../ipc/dispatch'
import { runAnnotationImport } from './annotation-import-job'
import { runExport } from './export-job'
import { previewExport } from './export-preview'

/** The interop channels' handlers: export preview, export job, annotation import job. */
export function interopHandlers(
  session: () => ProjectSession,
  events: AppEvents
): Pick<Handlers, 'export:preview' | 'export:start' | 'annotations:import'> {
  return {
    'export:preview': ({ options }) => previewExport(session().store, options),
    'export:start': ({ options, destination }) => {
      const { store, jobs } = session()
      const jobId = jobs.start('export', { options, destination }, ({ progress, signal }) =>
        runExport(store, options, destination, progress, signal)
      )
      return { jobId }
    },
    'annotations:import': (request) => {
      const { store, jobs } = session()
      const jobId = jobs.start('annotations-import', request, ({ progress, signal }) =>
        runAnnotationImport(store, request, progress, signal, (imageIds) => {
          for (const imageId of imageIds) events.fire('instances:changed', { imageId })
          events.fire('images:changed', { ids: [...imageIds] })
        })
      )
      return { jobId }
    }
  }
}
