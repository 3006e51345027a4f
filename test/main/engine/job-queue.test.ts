import { describe, expect, it } from 'vitest'
import { CancellationError } from '../../../src-main/common/errors'
import { JobQueue, type JobContext } from '../../../src-main/engine/host/job-queue'

const tick = (ms = 0): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

// Work that records when it started and finished, and can be released by the test.
function work(log: string[], name: string, ms = 5) {
  return async ({ signal }: JobContext): Promise<string> => {
    log.push(`start ${name}`)
    await tick(ms)
    if (signal.aborted) throw signal.reason
    log.push(`end ${name}`)
    return name
  }
}

describe('engine job queue', () => {
  it('runs one job at a time in arrival order within a priority', async () => {
    const queue = new JobQueue()
    const log: string[] = []
    const results = await Promise.all(['a', 'b', 'c'].map((n) => queue.enqueue('batch', work(log, n)).result))
    expect(results).toEqual(['a', 'b', 'c'])
    expect(log).toEqual(['start a', 'end a', 'start b', 'end b', 'start c', 'end c'])
  })

  it('lets an interactive job overtake queued batch work after the image in progress', async () => {
    const queue = new JobQueue()
    const log: string[] = []
    const batch = ['image 1', 'image 2', 'image 3'].map((n) => queue.enqueue('batch', work(log, n, 20)))
    await tick(5) // image 1 is running
    const prefetch = queue.enqueue('foreground', work(log, 'opened image'))
    const box = queue.enqueue('interactive', work(log, 'box'))
    await Promise.all([...batch.map((j) => j.result), prefetch.result, box.result])
    expect(log.filter((l) => l.startsWith('start'))).toEqual(['start image 1', 'start box', 'start opened image', 'start image 2', 'start image 3'])
  })

  it('reports progress to the job’s listener while it runs', async () => {
    const queue = new JobQueue()
    const seen: unknown[] = []
    await queue.enqueue(
      'batch',
      async ({ progress }) => {
        progress({ done: 1, total: 2 })
        progress({ done: 2, total: 2, message: 'done' })
      },
      { onProgress: (p) => seen.push(p) }
    ).result
    expect(seen).toEqual([{ done: 1, total: 2 }, { done: 2, total: 2, message: 'done' }])
  })

  it('removes a cancelled job before it starts; it never runs', async () => {
    const queue = new JobQueue()
    const log: string[] = []
    const first = queue.enqueue('batch', work(log, 'first', 20))
    const second = queue.enqueue('batch', work(log, 'second'))
    second.cancel()
    await expect(second.result).rejects.toBeInstanceOf(CancellationError)
    await first.result
    await queue.idle()
    expect(log).toEqual(['start first', 'end first'])
  })

  it('aborts a running job’s signal, answers the caller at once, and frees the slot when the work stops', async () => {
    const queue = new JobQueue()
    const log: string[] = []
    let stopped = false
    const running = queue.enqueue('batch', async ({ signal }) => {
      log.push('start long')
      while (!signal.aborted) await tick(2)
      await tick(30) // the work takes a while to notice and stop
      stopped = true
      throw signal.reason
    })
    const next = queue.enqueue('interactive', work(log, 'next'))
    await tick(5)
    running.cancel()
    await expect(running.result).rejects.toBeInstanceOf(CancellationError)
    expect(stopped).toBe(false)
    await next.result
    expect(stopped).toBe(true)
    expect(log).toEqual(['start long', 'start next', 'end next'])
  })

  it('cancels through an AbortSignal, also one aborted before enqueueing', async () => {
    const queue = new JobQueue()
    const controller = new AbortController()
    controller.abort()
    await expect(queue.enqueue('batch', async () => 1, { signal: controller.signal }).result).rejects.toBeInstanceOf(CancellationError)
    const later = new AbortController()
    const job = queue.enqueue('batch', () => tick(50), { signal: later.signal })
    later.abort()
    await expect(job.result).rejects.toBeInstanceOf(CancellationError)
  })

  it('passes a job’s failure to its caller and goes on with the next', async () => {
    const queue = new JobQueue()
    const failing = queue.enqueue('batch', async () => {
      throw new Error('corrupt image')
    })
    const next = queue.enqueue('batch', async () => 'ok')
    await expect(failing.result).rejects.toThrow('corrupt image')
    expect(await next.result).toBe('ok')
  })

  it('cancels everything on dispose and refuses new work', async () => {
    const queue = new JobQueue()
    const a = queue.enqueue('batch', () => tick(20))
    const b = queue.enqueue('interactive', () => tick(20))
    queue.dispose()
    await expect(a.result).rejects.toBeInstanceOf(CancellationError)
    await expect(b.result).rejects.toBeInstanceOf(CancellationError)
    await expect(queue.enqueue('batch', async () => 1).result).rejects.toThrow('The engine is shutting down')
  })

  it('shows what runs and what waits', async () => {
    const queue = new JobQueue()
    const a = queue.enqueue('batch', () => tick(20), { label: 'prefetch a' })
    queue.enqueue('batch', () => tick(1))
    queue.enqueue('interactive', () => tick(1))
    await tick(2)
    expect(queue.state()).toEqual({ running: [{ id: a.id, priority: 'batch', label: 'prefetch a' }], queued: { interactive: 1, foreground: 0, batch: 1 } })
    await queue.idle()
    expect(queue.state()).toEqual({ running: [], queued: { interactive: 0, foreground: 0, batch: 0 } })
  })

  it('BAD CALL – an unknown priority or a missing function', () => {
    const queue = new JobQueue()
    expect(() => queue.enqueue('urgent' as never, async () => 1)).toThrow(new RangeError('priority: expected one of interactive, foreground, batch, got "urgent"'))
    expect(() => queue.enqueue('batch', undefined as never)).toThrow(new TypeError('run: expected a function'))
    expect(() => new JobQueue(0)).toThrow(new RangeError('concurrency: expected a positive integer, got 0'))
  })
})
