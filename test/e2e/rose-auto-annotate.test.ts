// Auto-annotation through the built serve mode with its engine process: the job stores proposals per
// image, survives the engine host being killed in the middle (the supervisor restarts it and retries
// the image in flight), and survives the whole server being killed (the next start resumes the job);
// in every case no image gets its proposals twice.
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, join } from 'node:path'
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { InstanceValue } from '../../src-preload/contract'
import { startServe, type ServeProcess } from '../helpers/serve-process'
import { TestWsClient } from '../helpers/ws-client'
import { sceneSvg, type Shape } from '../main/engine/engine-fixtures'
import { GOLDEN_PACK_DIR, REPO_ROOT } from '../main/engine/rose/golden-files'

const IMAGES = 16
const COLOURS = ['#d02020', '#2040e0', '#e0c020', '#20a040', '#a020c0', '#f08020']

// Distinct scenes (import skips duplicates by content): shapes placed by a small deterministic generator.
function scene(i: number): Buffer {
  const shapes: Shape[] = []
  for (let k = 0; k < 3; k++) {
    const s = (i * 7 + k * 13) % 17
    shapes.push(
      k % 2 === 0
        ? { kind: 'rect', x: 8 + ((s * 5) % 70), y: 6 + ((s * 3) % 60), width: 20 + (s % 18), height: 16 + ((s * 2) % 20), fill: COLOURS[(i + k) % COLOURS.length]! }
        : { kind: 'circle', cx: 30 + ((s * 4) % 70), cy: 30 + ((s * 6) % 60), r: 10 + (s % 12), fill: COLOURS[(i + k + 2) % COLOURS.length]! }
    )
  }
  return sceneSvg(128, i % 2 === 0 ? 128 : 100, '#8090a0', shapes)
}

// Proposals of the pack per image, and whether any image holds the same proposal twice.
async function proposals(client: TestWsClient, imageIds: readonly number[], pack: string): Promise<{ counts: number[]; duplicates: number }> {
  const counts: number[] = []
  let duplicates = 0
  for (const imageId of imageIds) {
    const list = (await client.call('instances:list', { imageId })) as InstanceValue[]
    const mine = list.filter((i) => i.modelVersion === pack && i.source === 'model' && i.status === 'proposed')
    duplicates += mine.length - new Set(mine.map((i) => `${i.categoryText}|${i.rle.counts}`)).size
    counts.push(mine.length)
  }
  return { counts, duplicates }
}

describe('auto-annotate through serve mode', () => {
  let dir: string
  let packsDir: string
  const env: NodeJS.ProcessEnv = {}

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rose-auto-e2e-'))
    packsDir = join(dir, 'user-packs')
    mkdirSync(packsDir)
    // A pack from elsewhere (ROSE_PACK_DIR) is installed as a user pack; the bundled rose-tiny is used as is.
    if (!GOLDEN_PACK_DIR.startsWith(join(REPO_ROOT, 'resources'))) cpSync(GOLDEN_PACK_DIR, join(packsDir, basename(GOLDEN_PACK_DIR)), { recursive: true })
    env['ROSE_PACKS_DIR'] = packsDir
  })
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true })
  })

  async function project(name: string): Promise<string> {
    const root = join(dir, name)
    mkdirSync(join(root, 'images'), { recursive: true })
    for (let i = 0; i < IMAGES; i++) await sharp(scene(i)).png().toFile(join(root, 'images', `scene-${String(i).padStart(2, '0')}.png`))
    return root
  }

  async function importAll(client: TestWsClient, root: string): Promise<number[]> {
    const { jobId } = await client.call('images:import', { paths: [join(root, 'images')], recursive: true })
    await client.waitForEvent('job:done', (p) => p.id === jobId)
    const { items } = await client.call('images:list', { offset: 0, limit: 100 })
    expect(items).toHaveLength(IMAGES)
    return items.map((i) => i.id)
  }

  async function ready(client: TestWsClient, notPid?: number | null): Promise<number> {
    for (let i = 0; i < 600; i++) {
      const status = await client.call('engine:status', {})
      if (status.state === 'ready' && status.pid !== null && status.pid !== notPid) return status.pid
      await new Promise((r) => setTimeout(r, 100))
    }
    throw new Error('the engine did not become ready')
  }

  it('keeps annotating when the engine host is killed mid-job, and stores every image once', async () => {
    const root = await project('host-kill')
    const server = await startServe(['--project', root, '--no-samples'], env)
    const client = await TestWsClient.connect(server.origin, server.token)
    try {
      const imageIds = await importAll(client, root)
      const packs = await client.call('engine:packs', {})
      const pack = packs.find((p) => p.state === 'ok')!
      expect(pack).toBeDefined()
      const pid = await ready(client)

      const { jobId } = await client.call('engine:autoAnnotate', { imageIds: 'all-without-proposals', pack: pack.id })
      const progress = await client.waitForEvent('job:progress', (p) => p.jobId === jobId && p.done >= 3, 60_000)
      expect(progress).toMatchObject({ kind: 'auto-annotate', total: IMAGES })
      expect(progress.ratePerSecond).toBeGreaterThan(0)
      expect(progress.etaSeconds).toBeGreaterThanOrEqual(0)
      const jobDone = (e: { event: string; payload: any }): boolean => e.event === 'job:done' && e.payload.id === jobId
      expect(client.events.some(jobDone)).toBe(false)
      const killedAt = client.events.length
      process.kill(pid, 'SIGKILL')

      const done = await client.waitForEvent('job:done', (p) => p.id === jobId, 120_000)
      expect(done.state).toBe('succeeded')
      expect(done.result).toMatchObject({ pack: pack.id, images: IMAGES, annotated: IMAGES, alreadyDone: 0, failed: [] })
      const newPid = await ready(client, pid)
      expect(newPid).not.toBe(pid)
      // The kill landed in the running job: the engine was seen restarting before the job finished.
      const finishedAt = client.events.findIndex(jobDone)
      const restartedAt = client.events.findIndex((e, i) => i >= killedAt && e.event === 'engine:status' && (e.payload as { state: string }).state !== 'ready')
      expect(restartedAt).toBeGreaterThanOrEqual(killedAt)
      expect(restartedAt).toBeLessThan(finishedAt)

      const after = await proposals(client, imageIds, pack.id)
      expect(after.duplicates).toBe(0)
      expect(after.counts.reduce((a, b) => a + b, 0)).toBe(done.result.instances)

      // Running it again over the same images adds nothing.
      const again = await client.call('engine:autoAnnotate', { imageIds, pack: pack.id })
      const second = await client.waitForEvent('job:done', (p) => p.id === again.jobId, 60_000)
      expect(second.result).toMatchObject({ annotated: 0, alreadyDone: IMAGES, instances: 0 })
      expect((await proposals(client, imageIds, pack.id)).counts).toEqual(after.counts)
    } finally {
      client.close()
      await server.stop()
    }
  }, 240_000)

  it('resumes an auto-annotate job after the server itself is killed, without duplicates', async () => {
    const root = await project('server-kill')
    let server: ServeProcess = await startServe(['--project', root, '--no-samples'], env)
    let client = await TestWsClient.connect(server.origin, server.token)
    let imageIds: number[]
    let pack: string
    try {
      imageIds = await importAll(client, root)
      pack = (await client.call('engine:packs', {})).find((p) => p.state === 'ok')!.id
      await ready(client)
      const { jobId } = await client.call('engine:autoAnnotate', { imageIds: 'all-without-proposals', pack })
      await client.waitForEvent('job:progress', (p) => p.jobId === jobId && p.done >= 2, 60_000)
    } finally {
      client.close()
    }
    // kill -9: no shutdown, the job stays "running" in the database.
    const exited = new Promise((r) => server.child.once('exit', r))
    server.child.kill('SIGKILL')
    await exited

    server = await startServe(['--project', root, '--no-samples'], env)
    client = await TestWsClient.connect(server.origin, server.token)
    try {
      const jobs = await client.call('jobs:list', {})
      const first = jobs.find((j) => j.kind === 'auto-annotate' && j.state === 'interrupted')!
      expect(first).toBeDefined()
      let resumed = (await client.call('jobs:list', {})).find((j) => j.kind === 'auto-annotate' && j.id > first.id)
      for (let i = 0; i < 1200 && (resumed === undefined || resumed.state === 'running' || resumed.state === 'queued'); i++) {
        await new Promise((r) => setTimeout(r, 100))
        resumed = (await client.call('jobs:list', {})).find((j) => j.kind === 'auto-annotate' && j.id > first.id)
      }
      expect(resumed?.state).toBe('succeeded')
      const report = resumed!.result as { annotated: number; failed: unknown[] }
      expect(report.failed).toEqual([])
      const after = await proposals(client, imageIds, pack)
      expect(after.duplicates).toBe(0)
      // Every image was annotated exactly once across the two runs.
      const status = await client.call('images:list', { offset: 0, limit: 100 })
      expect(status.items.filter((i) => i.instanceCount > 0).length).toBe(after.counts.filter((n) => n > 0).length)
      const again = await client.call('engine:autoAnnotate', { imageIds, pack })
      const second = await client.waitForEvent('job:done', (p) => p.id === again.jobId, 60_000)
      expect(second.result).toMatchObject({ annotated: 0, alreadyDone: IMAGES })
      expect(report.annotated).toBeGreaterThan(0)
      expect(report.annotated).toBeLessThan(IMAGES)
    } finally {
      client.close()
      await server.stop()
    }
  }, 240_000)
})
