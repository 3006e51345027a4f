import { describe, expect, it } from 'vitest'
import { ImportProgressMeter, type ImportProgress } from '../../../src-main/images/import-progress'

describe('ImportProgressMeter', () => {
  it('reports at most once per interval unless forced, with rate and ETA from the start of counting', () => {
    let now = 0
    const seen: ImportProgress[] = []
    const meter = new ImportProgressMeter((p) => seen.push(p), 100, () => now)
    meter.update(0, null, 'Looking for images…', true)
    meter.start()
    for (let done = 1; done <= 50; done++) {
      now += 20 // 50 images a second
      meter.update(done, 50, null)
    }
    meter.update(50, 50, null, true)
    expect(seen[0]).toEqual({ done: 0, total: null, ratePerSecond: null, etaSeconds: null, message: 'Looking for images…' })
    // 1 s of work at one report per 100 ms, plus the first and the forced last.
    expect(seen).toHaveLength(12)
    expect(seen.at(-1)).toEqual({ done: 50, total: 50, ratePerSecond: 50, etaSeconds: 0, message: null })
    expect(seen[4]).toEqual({ done: 20, total: 50, ratePerSecond: 50, etaSeconds: 0.6, message: null })
  })

  it('gives no rate before a quarter second has passed', () => {
    let now = 0
    const seen: ImportProgress[] = []
    const meter = new ImportProgressMeter((p) => seen.push(p), 100, () => now)
    meter.start()
    now = 200
    meter.update(3, 10, null)
    expect(seen).toEqual([{ done: 3, total: 10, ratePerSecond: null, etaSeconds: null, message: null }])
  })
})
