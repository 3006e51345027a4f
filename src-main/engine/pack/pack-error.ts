/**
 * A model pack that cannot be used, as one expected error that names the pack, the file and — for
 * a graph whose tensors disagree with the manifest — the tensor and what was expected. The app keeps
 * working without the pack (manual annotation, other packs), so this is never a crash.
 */
import { ExpectedError } from '../../common/errors'

/** The error code of every broken-pack error. */
export const PACK_BROKEN = 'PACK_BROKEN'

/** What a PackError is about, for the UI and for tests. */
export interface PackProblem {
  /** The pack folder. */
  readonly pack: string
  /** The file inside the pack (relative path), or null when the folder itself is the problem. */
  readonly file: string | null
  /** The graph tensor or manifest field concerned, when there is one. */
  readonly tensor?: string
  /** What the manifest or the specification expects there. */
  readonly expected?: string
  /** What was found instead. */
  readonly found?: string
}

/** A broken or unusable model pack. */
export class PackError extends ExpectedError {
  override readonly name = 'PackError'
  readonly problem: PackProblem

  constructor(problem: PackProblem, reason: string, options?: { readonly message?: string }) {
    const where = problem.file === null ? '' : `${problem.file}: `
    super(PACK_BROKEN, options?.message ?? `broken model pack ${problem.pack}: ${where}${reason}`)
    this.problem = problem
  }
}
