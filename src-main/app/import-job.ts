import type { ImportReportValue } from '../../src-preload/contract'
import { importImages } from '../images/import-images'
import type { JobContext } from '../jobs/job-manager'
import type { ProjectStore } from '../store/project-store'

/** Runs an image import as a job of `store`'s project: rows go to the store in batches, progress to the job. */
export function runImport(
  store: ProjectStore,
  request: { readonly paths: readonly string[]; readonly recursive: boolean },
  context: JobContext
): Promise<ImportReportValue> {
  return importImages(
    {
      paths: request.paths,
      recursive: request.recursive,
      projectRoot: store.root,
      sink: {
        findByHash: (hash) => store.findByHash(hash),
        findByPath: (path) => store.findByPath(path),
        insertImages: (rows) => void store.insertImages(rows)
      }
    },
    (progress) => context.progress(progress),
    context.signal
  )
}
