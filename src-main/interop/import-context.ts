import type { AnnotationImportRequestValue } from '../../src-preload/contract'
import type { ProjectImageIndex } from './image-matcher'
import type { ImportProblems } from './import-problems'
import type { ImportSink } from './import-sink'

/** Counters every importer keeps for the report. */
export interface ImportCounts {
  imagesMatched: number
  imagesUnmatched: number
  crowdSkipped: number
  imagesConvertedFromStoredFrame: number
}

/** Everything one format reader needs: the request, the project's images, where instances and problems go. */
export interface ImportContext {
  readonly request: AnnotationImportRequestValue
  /** Absolute path of what to read. */
  readonly path: string
  readonly index: ProjectImageIndex
  readonly sink: ImportSink
  readonly problems: ImportProblems
  readonly counts: ImportCounts
  readonly signal: AbortSignal | undefined
  progress(done: number, total: number | null, message: string): void
}
