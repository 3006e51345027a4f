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

/** The error code of a call that needs a model pack when none is usable. */
export const NO_MODEL_PACK = 'NO_MODEL_PACK'

/**
 * Why no pack can be used, for the user: each installed pack with what is wrong with it, or where packs
 * were looked for when there is none; manual annotation is unaffected either way.
 */
export function noUsablePackMessage(listings: readonly { readonly id: string; readonly dir: string; readonly error: { readonly message: string } | null }[], looked: readonly string[]): string {
  if (listings.length === 0) return `no model pack is installed${looked.length > 0 ? ` (looked in ${looked.join(', ')})` : ''}; manual annotation still works`
  const reasons = listings.map((p) => {
    const message = p.error?.message ?? 'not usable'
    const prefix = `broken model pack ${p.dir}: `
    return `${p.id}: ${message.startsWith(prefix) ? message.slice(prefix.length) : message}`
  })
  return `no usable model pack is installed (${reasons.join('; ')}); manual annotation still works`
}
