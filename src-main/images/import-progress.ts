/** Progress of an import as the job reports it. */
export interface ImportProgress {
  readonly done: number
  readonly total: number | null
  readonly ratePerSecond: number | null
  readonly etaSeconds: number | null
  readonly message: string | null
}

/**
 * Turns a stream of counts into throttled progress reports with rate and ETA. Reports go to the UI
 * over IPC or a WebSocket: ~10 a second is smooth to look at and costs nothing at 10,000 images.
 */
export class ImportProgressMeter {
  private lastReport = Number.NEGATIVE_INFINITY
  private startedAt: number | undefined

  constructor(
    private readonly onProgress: (progress: ImportProgress) => void,
    private readonly intervalMs = 100,
    private readonly now: () => number = () => performance.now()
  ) {}

  /** Marks the moment counting starts: the rate covers processing, not the folder scan before it. */
  start(): void {
    this.startedAt = this.now()
  }

  /** Reports progress unless one was reported less than the interval ago; `force` always reports. */
  update(done: number, total: number | null, message: string | null, force = false): void {
    const now = this.now()
    if (!force && now - this.lastReport < this.intervalMs) return
    this.lastReport = now
    const seconds = this.startedAt === undefined ? 0 : (now - this.startedAt) / 1000
    // Below a quarter second or a first item the rate is noise, not information.
    const ratePerSecond = seconds >= 0.25 && done > 0 ? done / seconds : null
    const etaSeconds = ratePerSecond !== null && total !== null ? Math.max(0, (total - done) / ratePerSecond) : null
    this.onProgress({ done, total, ratePerSecond, etaSeconds, message })
  }
}
