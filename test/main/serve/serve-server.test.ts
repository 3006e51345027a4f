import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { AppServices } from '../../../src-main/app/app-services'
import { ServeServer } from '../../../src-main/serve/serve-server'
import { TestWsClient } from '../../helpers/ws-client'

describe('ServeServer', () => {
  let dir: string
  let services: AppServices
  let server: ServeServer
  let origin: string
  const token = 'test-token-0123456789'

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rose-serve-'))
    const renderer = join(dir, 'renderer')
    mkdirSync(join(renderer, 'assets'), { recursive: true })
    writeFileSync(join(renderer, 'index.html'), '<!doctype html><title>ROSE Studio</title>')
    writeFileSync(join(renderer, 'assets', 'app.js'), 'console.log(1)')
    writeFileSync(join(dir, 'secret.txt'), 'do not serve')
    services = await AppServices.create({
      version: '9.9.9',
      transport: 'websocket',
      resourcesDir: join(dir, 'none'),
      projectDir: join(dir, 'project'),
      defaultProjectDir: join(dir, 'default')
    })
    services.project.store.insertImages([
      { path: 'a.png', width: 100, height: 80, orientation: 1, fileSize: 10, contentHash: 'aa', format: 'png' }
    ])
    server = new ServeServer(services, { host: '127.0.0.1', port: 0, token, rendererDir: renderer })
    origin = new URL(await server.listen()).origin
  })

  afterAll(async () => {
    await server.close()
    await services.close()
    rmSync(dir, { recursive: true, force: true })
  })

  it('prints a loopback URL that carries the token', async () => {
    const other = new ServeServer(services, { host: '127.0.0.1', port: 0, rendererDir: dir })
    const url = new URL(await other.listen())
    await other.close()
    expect(url.hostname).toBe('127.0.0.1')
    expect(url.searchParams.get('token')).toMatch(/^[0-9a-f]{48}$/)
  })

  it('refuses the page without the token or with a wrong one, with a page that says what to do', async () => {
    for (const path of ['/', '/?token=wrong', `/?token=${token}x`]) {
      const response = await fetch(origin + path)
      expect(response.status).toBe(401)
      expect(await response.text()).toContain('This ROSE Studio server needs its access token')
    }
  })

  it('serves the page with the token, a strict CSP and a session cookie', async () => {
    const response = await fetch(`${origin}/?token=${token}`)
    expect(response.status).toBe(200)
    expect(response.headers.get('content-security-policy')).toContain("default-src 'self'")
    expect(response.headers.get('set-cookie')).toBe(`rose_token=${token}; HttpOnly; SameSite=Strict; Path=/`)
    expect(await response.text()).toContain('<title>ROSE Studio</title>')
    const asset = await fetch(`${origin}/assets/app.js`)
    expect(asset.headers.get('content-type')).toBe('text/javascript; charset=utf-8')
  })

  it('refuses API routes without the token and never serves files outside the renderer folder', async () => {
    const noToken = await fetch(`${origin}/api/files/thumb/1`)
    expect(noToken.status).toBe(401)
    expect(await noToken.text()).toBe('missing or wrong token: open the URL that `rose-studio serve` printed')
    const withCookie = await fetch(`${origin}/api/files/image/2`, { headers: { cookie: `rose_token=${token}` } })
    expect(withCookie.status).toBe(404)
    expect(await withCookie.text()).toBe('image 2 does not exist in this project')
    const traversal = await fetch(`${origin}/..%2Fsecret.txt`)
    expect([403, 404]).toContain(traversal.status)
    expect(await traversal.text()).not.toContain('do not serve')
    expect((await fetch(`${origin}/?token=${token}`, { method: 'POST' })).status).toBe(405)
  })

  it('refuses a WebSocket without the token or with a wrong one', async () => {
    await expect(TestWsClient.connect(origin, undefined)).rejects.toThrow('HTTP 401')
    await expect(TestWsClient.connect(origin, 'nope')).rejects.toThrow('HTTP 401')
  })

  it('answers calls over the WebSocket, refuses malformed ones with a clear error, and pushes events', async () => {
    const client = await TestWsClient.connect(origin, token)
    try {
      await expect(client.call('app:info', {})).resolves.toEqual({ version: '9.9.9', transport: 'websocket', platform: process.platform })
      await expect(client.call('images:list', { offset: 0, limit: 10 })).resolves.toMatchObject({ total: 1, items: [{ id: 1, path: 'a.png' }] })
      await expect(client.callRaw('images:list', { offset: 'zero', limit: 10 })).resolves.toEqual({
        ok: false,
        error: { name: 'InvalidArgumentError', code: 'INVALID_ARGUMENT', message: 'images:list: offset: Invalid input: expected number, received string' }
      })
      await expect(client.callRaw('project:delete', {})).resolves.toMatchObject({
        ok: false,
        error: { code: 'INVALID_ARGUMENT', message: 'unknown channel "project:delete"' }
      })
      await expect(client.sendText('not json')).resolves.toEqual({
        ok: false,
        error: { name: 'InvalidArgumentError', code: 'INVALID_ARGUMENT', message: 'the message is not JSON' }
      })
      await expect(client.callRaw('dialog:pickPaths', { kind: 'folder' })).resolves.toMatchObject({
        ok: false,
        error: { code: 'UNSUPPORTED' }
      })

      const created = await client.call('instances:createFromPolygon', {
        imageId: 1,
        polygons: [[10, 10, 50, 10, 50, 40, 10, 40]],
        categoryText: 'red square'
      })
      expect(created).toMatchObject({ imageId: 1, categoryText: 'red square', status: 'accepted', source: 'human' })
      expect(created.rle.size).toEqual([80, 100])
      await expect(client.waitForEvent('instances:changed', (p) => p.imageId === 1)).resolves.toEqual({ imageId: 1 })
      await expect(client.waitForEvent('history:changed')).resolves.toMatchObject({ canUndo: true, undoLabel: 'Draw polygon' })

      await expect(
        client.callRaw('instances:createFromPolygon', { imageId: 1, polygons: [[200, 200, 300, 200, 300, 300]], categoryText: 'x' })
      ).resolves.toEqual({
        ok: false,
        error: { name: 'ExpectedError', code: 'EMPTY_MASK', message: 'the polygon covers no pixel of image 1 (a.png)' }
      })
    } finally {
      client.close()
    }
  })
})
