import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { JobInfoValue, JobProgressValue } from '../../../src-preload/contract'
import { throwIfAborted } from '../../../src-main/common/errors'
import { JobManager } from '../../../src-main/jobs/job-manager'
import { ProjectStore } from '../../../src-main/store/project-store'

describe('JobManager', () => {
  let dir: string
  let store: ProjectStore
  let jobs: JobManager
  let progress: JobProgressValue[]
  let finished: JobInfoValue[]

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'rose-jobs-'))
    store = ProjectStore.open(dir)
    jobs = new JobManager(store)
    progress = []
    finished = []
    jobs.onDidProgress((p) => progress.push(p))
    jobs.onDidFinish((j) => finished.push(j))
  })
  afterEach(async () => {
    await jobs.shutdown()
    jobs.dispose()
    store.close()
    rmSync(dir, { recursive: true, force: true })
  })

  it('runs a job, reports its progress and stores its result and last progress', async () => {
    const id = jobs.start('count', { to: 3 }, async ({ progress: report }) => {
      for (let done = 1; done <= 3; done++) report({ done, total: 3, ratePerSecond: null, etaSeconds: null, message: null })
      return { counted: 3 }
    })
    const info = await jobs.whenDone(id)
    expect(info).toMatchObject({ id, kind: 'count', state: 'succeeded', result: { counted: 3 }, error: null })
    expect(info.progress).toMatchObject({ jobId: id, kind: 'count', done: 3, total: 3 })
    expect(progress.map((p) => p.done)).toEqual([1, 2, 3])
    expect(finished).toEqual([info])
  })

  it('ends a cancelled job as cancelled, not failed', async () => {
    let started!: () => void
    const running = new Promise<void>((r) => (started = r))
    const id = jobs.start('wait', {}, async ({ signal }) => {
      started()
      while (true) {
        await new Promise((r) => setTimeout(r, 5))
        throwIfAborted(signal)
      }
    })
    await running
    expect(jobs.cancel(id)).toBe(true)
    const info = await jobs.whenDone(id)
    expect(info.state).toBe('cancelled')
    expect(info.error).toEqual({ name: 'CancellationError', code: 'CANCELLED', message: 'Cancelled' })
    expect(jobs.cancel(id)).toBe(false)
  })

  it('ends a throwing job as failed with the error as data', async () => {
    const id = jobs.start('boom', {}, async () => {
      throw new RangeError('limit out of range')
    })
    expect(await jobs.whenDone(id)).toMatchObject({
      state: 'failed',
      error: { name: 'RangeError', code: 'INTERNAL', message: 'limit out of range' }
    })
  })

  it('marks a job that was running when the process stopped as interrupted on the next start', () => {
    const id = store.createJob('import', {})
    store.updateJob(id, { state: 'running' })
    const next = new JobManager(store)
    expect(store.getJob(id).state).toBe('interrupted')
    next.dispose()
  })
})
