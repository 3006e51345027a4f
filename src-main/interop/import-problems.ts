import type { ItemProblemValue } from '../../src-preload/contract'

// A report the UI can show whole; a file where every line is broken still says how many problems it had.
const KEPT = 1000

/** Problems of one import: every one counted, the first thousand kept with their item and reason. */
export class ImportProblems {
  private readonly kept: ItemProblemValue[] = []
  private total = 0

  /** Records that `item` was not imported, and why. */
  add(item: string, reason: string): void {
    this.total++
    if (this.kept.length < KEPT) this.kept.push({ item, reason })
  }

  /** The problems kept. */
  get list(): ItemProblemValue[] {
    return this.kept
  }

  /** How many problems there were. */
  get count(): number {
    return this.total
  }
}
