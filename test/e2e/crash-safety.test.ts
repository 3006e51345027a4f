import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { polygonsToMask } from '../../src-main/masks/polygon-mask'
import { ProjectStore } from '../../src-main/store/project-store'
import { startServe, type ServeProcess } from '../helpers/serve-process'
import { TestWsClient } from '../helpers/ws-client'

describe('crash safety of the project store', () => {
  let dir: string | undefined
  let server: ServeProcess | undefined

  afterEach(async () => {
    await server?.stop()
    if (dir) rmSync(dir, { recursive: true, force: true })
  })

  it('keeps every save answered before a SIGKILL in a burst of saves, and the database stays consistent', async () => {
    dir = mkdtempSync(join(tmpdir(), 'rose-crash-'))
    const seed = ProjectStore.open(dir)
    const [imageId] = seed.insertImages([
      { path: 'scene.png', width: 640, height: 480, orientation: 1, fileSize: 1, contentHash: 'h', format: 'png' }
    ])
    seed.close()

    server = await startServe(['--project', dir, '--no-samples'])
    const client = await TestWsClient.connect(server.origin, server.token)
    const acknowledged = new Map<number, string>()
    let sent = 0
    let killed = false
    const exited = new Promise((resolve) => server!.child.once('exit', resolve))

    const save = () => {
      const n = sent++
      const name = `object ${n}`
      const x = (n * 7) % 600
      const call = client.callRaw('instances:createFromPolygon', {
        imageId,
        polygons: [[x, 10, x + 30, 10, x + 30, 60, x, 60]],
        categoryText: name
      })
      return { name, call }
    }
    // Four writers keep saves in flight all the time, so the kill lands in the middle of some.
    const writer = async () => {
      while (!killed) {
        const { name, call } = save()
        const envelope = await Promise.race([call, exited.then(() => null)])
        if (envelope === null) return
        if (envelope.ok) acknowledged.set((envelope.value as { id: number }).id, name)
        if (acknowledged.size >= 150 && !killed) {
          killed = true
          // The other writers' answers may all have arrived in the same tick as this one; one more
          // save sent right before the signal guarantees the kill meets a write the server never answered.
          save()
          server!.child.kill('SIGKILL')
        }
      }
    }
    await Promise.all([writer(), writer(), writer(), writer()])
    await exited
    client.close()
    expect(server.child.signalCode).toBe('SIGKILL')
    expect(sent).toBeGreaterThan(acknowledged.size)
    // The kill left the write-ahead log behind: reopening has to recover from it.
    expect(existsSync(join(dir, '.rose', 'project.db-wal'))).toBe(true)

    const store = ProjectStore.open(dir)
    try {
      expect(store.integrityCheck()).toBe('ok')
      const stored = new Map(store.listInstances(imageId!).map((i) => [i.id, i.categoryText]))
      for (const [id, name] of acknowledged) expect(stored.get(id)).toBe(name)
      expect(stored.size).toBeGreaterThanOrEqual(acknowledged.size)
      // Every stored save is whole: its mask and its history entry committed together.
      expect(store.historyState().canUndo).toBe(true)
      const expectedArea = polygonsToMask([[0, 10, 30, 10, 30, 60, 0, 60]], 480, 640).area
      expect(expectedArea).toBeGreaterThan(1400)
      for (const instance of store.listInstances(imageId!)) expect(instance.area).toBe(expectedArea)
    } finally {
      store.close()
    }
  })
})
