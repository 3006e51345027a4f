// @vitest-environment happy-dom
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest'
import { coalesce } from '../../../src-renderer/src/composables/use-rose-events'

beforeEach(() => {
  vi.useFakeTimers()
})

afterEach(() => {
  vi.useRealTimers()
})

describe('coalesce', () => {
  test('a flood of calls runs the work once per window, and never two runs at once', async () => {
    let running = 0
    let maxRunning = 0
    let runs = 0
    const reload = coalesce(async () => {
      running += 1
      maxRunning = Math.max(maxRunning, running)
      await new Promise((r) => setTimeout(r, 250))
      running -= 1
      runs += 1
    }, 100)
    for (let t = 0; t < 1000; t += 10) {
      reload()
      await vi.advanceTimersByTimeAsync(10)
    }
    await vi.advanceTimersByTimeAsync(2000)
    expect(maxRunning).toBe(1)
    // 1 s of calls with 250 ms runs: the work ran a handful of times, not a hundred, and once after the last call.
    expect(runs).toBeGreaterThanOrEqual(3)
    expect(runs).toBeLessThanOrEqual(5)
  })

  test('cancel drops a scheduled run', async () => {
    const work = vi.fn(async () => {})
    const reload = coalesce(work, 100)
    reload()
    reload.cancel()
    await vi.advanceTimersByTimeAsync(500)
    expect(work).not.toHaveBeenCalled()
  })
})
