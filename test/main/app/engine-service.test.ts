import { describe, expect, it } from 'vitest'
import { parentLabel } from '../../../src-main/app/engine-service'

describe('parentLabel', () => {
  it('names a fine-tuned pack by its parent name@version, a checkpoint by checkpoint@step, and a pre-trained one not at all', () => {
    expect(parentLabel({ name: 'rose-tiny', version: '1.0.0', manifest_sha256: 'ab' })).toBe('rose-tiny@1.0.0')
    expect(parentLabel({ checkpoint: 'runs/a/checkpoint.pt', step: 400 })).toBe('runs/a/checkpoint.pt@400')
    expect(parentLabel(null)).toBeNull()
    expect(parentLabel('rose-tiny')).toBeNull()
  })
})
