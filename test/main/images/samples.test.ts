import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { importImages } from '../../../src-main/images/import-images'
import { makeTempDir } from './image-factory'
import { MemoryImageSink } from './memory-image-sink'

const SAMPLES = join(__dirname, '../../../resources/samples')
let dir: Awaited<ReturnType<typeof makeTempDir>>
beforeAll(async () => {
  dir = await makeTempDir()
})
afterAll(() => dir.dispose())

describe('resources/samples', () => {
  it('imports cleanly: five photographs and five scenes, the rocket oriented upright', async () => {
    const sink = new MemoryImageSink()
    const report = await importImages({ paths: [SAMPLES], recursive: true, projectRoot: dir.path, sink }, () => undefined)
    expect({ imported: report.imported, failed: report.failed, skippedDuplicates: report.skippedDuplicates }).toEqual({
      imported: 10,
      failed: [],
      skippedDuplicates: []
    })
    const rocket = sink.rows.find((r) => r.path.endsWith('/rocket.jpg'))
    expect(rocket).toMatchObject({ orientation: 6, width: 640, height: 427, format: 'jpeg' })
  })

  it('names the source and licence of every image in LICENSES.md and stays under 1.5 MB', async () => {
    const licences = await readFile(join(SAMPLES, 'LICENSES.md'), 'utf8')
    const files = await readdir(SAMPLES)
    for (const image of files.filter((f) => /\.(jpg|png)$/.test(f))) expect(licences).toContain(`\`${image}\``)
    let bytes = 0
    for (const f of files) bytes += (await readFile(join(SAMPLES, f))).length
    expect(bytes).toBeLessThan(1.5 * 1024 * 1024)
  })
})
