// @vitest-environment happy-dom
import { createPinia, setActivePinia } from 'pinia'
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest'
import type { JobInfoValue, JobProgressValue } from '../../../src-preload/contract'
import { PROGRESS_INTERVAL_MS, importReportOf, useJobsStore } from '../../../src-renderer/src/stores/jobs'
import { useSessionStore } from '../../../src-renderer/src/stores/session'
import { FakeApi } from '../fake-api'

function progress(done: number): JobProgressValue {
  return { jobId: 7, kind: 'import', done, total: 10_000, ratePerSecond: 500, etaSeconds: 19, message: null }
}

const finished: JobInfoValue = {
  id: 7,
  kind: 'import',
  state: 'succeeded',
  progress: null,
  result: { imported: 9, skippedDuplicates: [{ item: 'b.jpg', duplicateOf: 'a.jpg' }], failed: [{ item: 'x.png', reason: 'empty file (0 bytes)' }], elapsedSeconds: 1.5 },
  error: null,
  createdAt: 't',
  updatedAt: 't'
}

beforeEach(() => {
  vi.useFakeTimers()
  setActivePinia(createPinia())
  useSessionStore().attach(new FakeApi())
})

afterEach(() => {
  vi.useRealTimers()
})

describe('useJobsStore', () => {
  test('a flood of progress events reaches the screen as the latest one per interval', () => {
    const jobs = useJobsStore()
    for (let done = 1; done <= 500; done++) jobs.onProgress(progress(done))
    expect(jobs.running).toEqual([])
    vi.advanceTimersByTime(PROGRESS_INTERVAL_MS)
    expect(jobs.running).toEqual([progress(500)])
  })

  test('the end of a job wins over progress still waiting to be shown, and late progress is ignored', () => {
    const jobs = useJobsStore()
    jobs.onProgress(progress(9_999))
    jobs.onDone(finished)
    jobs.onProgress(progress(10_000))
    vi.advanceTimersByTime(PROGRESS_INTERVAL_MS * 2)
    expect(jobs.running).toEqual([])
    expect(importReportOf(jobs.finished.get(7)!)).toEqual(finished.result)
  })

  test('a result that is not an import report is not read as one', () => {
    expect(importReportOf({ ...finished, result: { files: [] } })).toBeNull()
  })
})
