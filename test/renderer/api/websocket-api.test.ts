// @vitest-environment happy-dom
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest'
import type { WireMessage } from '../../../src-preload/contract'
import { CancellationError, ExpectedError, InternalError, TransportError } from '../../../src-renderer/src/api'
import type { ConnectionState } from '../../../src-renderer/src/api'
import { WebSocketRoseApi, defaultBackoffMs, type SocketLike, type TokenVerdict } from '../../../src-renderer/src/api/websocket-api'

/** A socket the test drives by hand: open it, answer calls, drop it. */
class FakeSocket implements SocketLike {
  readyState = 0
  readonly sent: WireMessage[] = []
  onopen: ((event: unknown) => void) | null = null
  onclose: ((event: { code: number; reason: string }) => void) | null = null
  onmessage: ((event: { data: unknown }) => void) | null = null
  onerror: ((event: unknown) => void) | null = null
  closedWith: number | null = null

  constructor(readonly url: string) {}

  send(data: string): void {
    this.sent.push(JSON.parse(data) as WireMessage)
  }
  close(code = 1000): void {
    this.closedWith = code
    this.readyState = 3
  }
  open(): void {
    this.readyState = 1
    this.onopen?.({})
  }
  drop(code = 1006): void {
    this.readyState = 3
    this.onclose?.({ code, reason: '' })
  }
  reply(message: WireMessage): void {
    this.onmessage?.({ data: JSON.stringify(message) })
  }
  lastCallId(): number {
    const last = this.sent[this.sent.length - 1]
    if (last?.type !== 'call') throw new Error('no call was sent')
    return last.id
  }
}

let sockets: FakeSocket[]
let verdict: TokenVerdict

function client(token: string | null = 'secret'): WebSocketRoseApi {
  return new WebSocketRoseApi({
    origin: 'http://127.0.0.1:7865',
    token,
    createSocket: (url) => {
      const socket = new FakeSocket(url)
      sockets.push(socket)
      return socket
    },
    probeToken: async () => verdict,
    queueTimeoutMs: 1000
  })
}

function latest(): FakeSocket {
  return sockets[sockets.length - 1]!
}

beforeEach(() => {
  sockets = []
  verdict = 'valid'
  vi.useFakeTimers()
})

afterEach(() => {
  vi.useRealTimers()
})

describe('WebSocketRoseApi', () => {
  test('connects to /api/ws with the token and builds file URLs that carry it', () => {
    const api = client('a b')
    expect(latest().url).toBe('ws://127.0.0.1:7865/api/ws?token=a%20b')
    expect(api.fileUrl('thumb', 12)).toBe('http://127.0.0.1:7865/api/files/thumb/12?token=a%20b')
    expect(api.transport).toBe('websocket')
  })

  test('sends calls made before the socket opened once it opens, and resolves them with the value', async () => {
    const api = client()
    const answer = api.invoke('images:get', { id: 3 })
    expect(latest().sent).toEqual([])
    latest().open()
    expect(latest().sent).toEqual([{ type: 'call', id: 1, channel: 'images:get', request: { id: 3 } }])
    latest().reply({ type: 'result', id: 1, envelope: { ok: true, value: { id: 3, path: 'a.jpg' } } })
    await expect(answer).resolves.toEqual({ id: 3, path: 'a.jpg' })
  })

  test('rebuilds expected, cancellation and internal errors from error envelopes', async () => {
    const api = client()
    latest().open()
    const expected = api.invoke('images:get', { id: 99 })
    latest().reply({
      type: 'result',
      id: latest().lastCallId(),
      envelope: { ok: false, error: { name: 'NotFoundError', code: 'NOT_FOUND', message: 'image 99 does not exist' } }
    })
    const error = await expected.catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ExpectedError)
    expect(error).toMatchObject({ code: 'NOT_FOUND', message: 'image 99 does not exist', remoteName: 'NotFoundError' })

    const cancelled = api.invoke('jobs:list', {})
    latest().reply({ type: 'result', id: latest().lastCallId(), envelope: { ok: false, error: { name: 'CancellationError', code: 'CANCELLED', message: 'Cancelled' } } })
    await expect(cancelled).rejects.toBeInstanceOf(CancellationError)

    const bug = api.invoke('jobs:list', {})
    latest().reply({ type: 'result', id: latest().lastCallId(), envelope: { ok: false, error: { name: 'TypeError', code: 'INTERNAL', message: 'x is undefined' } } })
    const internal = await bug.catch((e: unknown) => e)
    expect(internal).toBeInstanceOf(InternalError)
    expect((internal as Error).message).toBe('jobs:list: x is undefined')
  })

  test('delivers events to listeners until they unsubscribe', () => {
    const api = client()
    latest().open()
    const seen: unknown[] = []
    const off = api.on('instances:changed', (payload) => seen.push(payload))
    latest().reply({ type: 'event', event: 'instances:changed', payload: { imageId: 4 } })
    off()
    latest().reply({ type: 'event', event: 'instances:changed', payload: { imageId: 5 } })
    expect(seen).toEqual([{ imageId: 4 }])
  })

  test('fails in-flight calls with a DISCONNECTED error when the connection drops, then reconnects with back-off', async () => {
    const api = client()
    const states: ConnectionState[] = []
    api.onConnectionChange((s) => states.push(s))
    latest().open()
    const pending = api.invoke('history:undo', {})
    latest().drop()
    const error = await pending.catch((e: unknown) => e)
    expect(error).toBeInstanceOf(TransportError)
    expect(error).toMatchObject({ code: 'DISCONNECTED' })
    expect((error as Error).message).toContain('history:undo')
    await vi.advanceTimersByTimeAsync(0)
    expect(states.at(-1)).toEqual({ kind: 'reconnecting', attempt: 1, retryInMs: 250 })
    expect(sockets).toHaveLength(1)

    await vi.advanceTimersByTimeAsync(250)
    expect(sockets).toHaveLength(2)
    latest().drop()
    await vi.advanceTimersByTimeAsync(0)
    expect(states.at(-1)).toEqual({ kind: 'reconnecting', attempt: 2, retryInMs: 500 })
    await vi.advanceTimersByTimeAsync(500)
    latest().open()
    expect(api.connection).toEqual({ kind: 'open' })
  })

  test('back-off doubles from 250 ms and is capped at 5 s', () => {
    expect([1, 2, 3, 4, 5, 6, 10].map(defaultBackoffMs)).toEqual([250, 500, 1000, 2000, 4000, 5000, 5000])
  })

  test('a call made while disconnected fails with TIMEOUT when the link does not come back in time', async () => {
    const api = client()
    latest().open()
    latest().drop()
    const call = api.invoke('jobs:list', {})
    const outcome = call.catch((e: unknown) => e)
    await vi.advanceTimersByTimeAsync(1000)
    expect(await outcome).toMatchObject({ name: 'TransportError', code: 'TIMEOUT' })
  })

  test('EXPECTED FAILURE – a refusal close code ends in the refused state and fails every waiting call', async () => {
    const api = client('wrong')
    const waiting = api.invoke('project:current', {})
    latest().drop(4401)
    await expect(waiting).rejects.toMatchObject({ code: 'REFUSED' })
    expect(api.connection).toEqual({ kind: 'refused', reason: 'wrong-token' })
    await vi.advanceTimersByTimeAsync(10_000)
    expect(sockets).toHaveLength(1)
    await expect(api.invoke('project:current', {})).rejects.toMatchObject({ code: 'REFUSED' })
  })

  test('EXPECTED FAILURE – a bare 1006 before opening is refused when the HTTP probe says the token is wrong', async () => {
    verdict = 'invalid'
    const api = client(null)
    latest().drop(1006)
    await vi.advanceTimersByTimeAsync(0)
    expect(api.connection).toEqual({ kind: 'refused', reason: 'missing-token' })
    expect(latest().url).toBe('ws://127.0.0.1:7865/api/ws')
  })

  test('a server that is down (probe unknown) is retried, not reported as a token problem', async () => {
    verdict = 'unknown'
    const api = client()
    latest().drop(1006)
    await vi.advanceTimersByTimeAsync(0)
    expect(api.connection.kind).toBe('reconnecting')
  })

  test('dispose closes the socket, fails waiting calls and stops reconnecting', async () => {
    const api = client()
    latest().open()
    const pending = api.invoke('jobs:list', {})
    api.dispose()
    await expect(pending).rejects.toMatchObject({ code: 'DISPOSED' })
    expect(latest().closedWith).toBe(1000)
    expect(api.connection).toEqual({ kind: 'closed' })
    await vi.advanceTimersByTimeAsync(10_000)
    expect(sockets).toHaveLength(1)
  })
})
