// When the only installed model pack is broken, the engine still starts: the pack is listed with what is
// wrong, ROSE calls fail with that reason, and the interactive segmenter (box prompts) keeps working.
import { cpSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, test } from 'vitest'
import { EngineSupervisor } from '../../../../src-main/engine/host/engine-supervisor'
import { sourceHostLauncher } from '../engine-fixtures'
import { GOLDEN_PACK_DIR, REPO_ROOT } from '../rose/golden-files'

describe('an engine whose only pack is broken', () => {
  const root = mkdtempSync(join(tmpdir(), 'rose-broken-only-'))
  const packDir = join(root, 'rose-tiny')
  cpSync(GOLDEN_PACK_DIR, packDir, { recursive: true })
  rmSync(join(packDir, 'llm_decoder.onnx'))
  const supervisor = new EngineSupervisor({ launcher: sourceHostLauncher({ packs: { sources: [{ dir: root, kind: 'user' }] } }) })
  afterAll(async () => {
    await supervisor.dispose()
    rmSync(root, { recursive: true, force: true })
  })

  test('lists the pack with the missing file, refuses ROSE calls with that reason, and still answers box prompts', async () => {
    await supervisor.start()
    const [listing, ...others] = await supervisor.call('pack.list', {})
    expect(others).toEqual([])
    expect(listing).toMatchObject({ state: 'broken', dir: packDir })
    expect(listing!.error?.file).toBe('llm_decoder.onnx')

    const scene = { path: join(REPO_ROOT, 'resources/samples/scene-few-medium-objects.png') }
    const dense = await supervisor.call('rose.dense', { image: scene }).then(
      () => 'answered',
      (error: Error & { code?: string }) => `${error.code}: ${error.message}`
    )
    expect(dense).toBe(`NO_MODEL_PACK: no usable model pack is installed (${listing!.id}: ${listing!.error!.message.slice(`broken model pack ${packDir}: `.length)}); manual annotation still works`)
    expect(dense).toMatch(/^NO_MODEL_PACK: no usable model pack is installed \(rose-tiny@1\.0\.0: llm_decoder\.onnx: /)

    const coins = { path: join(REPO_ROOT, 'test/fixtures/real-photos/coins.jpg') }
    const mask = await supervisor.call('segmenter.segment', { image: coins, prompt: { box: [20, 20, 60, 60] } })
    expect(mask.area).toBeGreaterThan(0)
    expect(mask.rle.size).toEqual([303, 384])
  }, 60_000)
})
