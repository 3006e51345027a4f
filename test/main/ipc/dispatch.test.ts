import { describe, expect, it } from 'vitest'
import type { Handlers } from '../../../src-main/ipc/dispatch'
import { createDispatcher, parseRequest } from '../../../src-main/ipc/dispatch'
import { CancellationError, ExpectedError, NotFoundError } from '../../../src-main/common/errors'

// Handlers that record what they received; only the channels a test calls need to do anything.
function handlers(overrides: Partial<Record<keyof Handlers, (request: any) => unknown>>): Handlers {
  return new Proxy({} as Handlers, {
    get: (_, channel: string) => overrides[channel as keyof Handlers] ?? (() => { throw new Error(`unexpected call ${channel}`) })
  })
}

describe('createDispatcher', () => {
  it('passes the validated request, with defaults filled in, to the handler and wraps the answer', async () => {
    let received: unknown
    const dispatch = createDispatcher(
      handlers({ 'images:import': (r) => ((received = r), { jobId: 7 }) })
    )
    await expect(dispatch('images:import', { paths: ['/data/a'] })).resolves.toEqual({ ok: true, value: { jobId: 7 } })
    expect(received).toEqual({ paths: ['/data/a'], recursive: true })
  })

  it('BAD CALL – refuses an unknown channel by name', async () => {
    const dispatch = createDispatcher(handlers({}))
    await expect(dispatch('images:explode', {})).resolves.toEqual({
      ok: false,
      error: { name: 'InvalidArgumentError', code: 'INVALID_ARGUMENT', message: 'unknown channel "images:explode"' }
    })
    await expect(dispatch(42, {})).resolves.toMatchObject({ ok: false, error: { message: 'unknown channel 42' } })
  })

  it('BAD CALL – names the channel and the parameter of a malformed request', async () => {
    const dispatch = createDispatcher(handlers({}))
    const cases: [string, unknown, string][] = [
      ['images:list', { offset: 0, limit: -1 }, 'images:list: limit: Too small: expected number to be >0'],
      ['images:list', { offset: 0 }, 'images:list: limit: Invalid input: expected number, received undefined'],
      ['images:get', { id: 'x' }, 'images:get: id: Invalid input: expected number, received string'],
      ['images:get', { id: 1, extra: true }, 'images:get: request: Unrecognized key: "extra"'],
      ['instances:createFromPolygon', { imageId: 1, polygons: [[0, 0, 5, 0]], categoryText: 'cat' },
        'instances:createFromPolygon: polygons.0: a polygon ring needs at least 3 points'],
      ['instances:createFromPolygon', { imageId: 1, polygons: [[0, 0, 5, 0, 5, 5, 1]], categoryText: 'cat' },
        'instances:createFromPolygon: polygons.0: a polygon ring needs an even number of coordinates'],
      ['instances:update', { id: 3, categoryText: '   ' }, 'instances:update: categoryText: category name must not be empty'],
      ['instances:update', { id: 3 }, 'instances:update: request: nothing to update'],
      ['images:setStatus', { id: 1, status: 'finished' }, 'images:setStatus: status: Invalid option: expected one of "new"|"proposed"|"in-review"|"done"|"skipped"']
    ]
    for (const [channel, request, message] of cases) {
      await expect(dispatch(channel, request)).resolves.toEqual({
        ok: false,
        error: { name: 'InvalidArgumentError', code: 'INVALID_ARGUMENT', message }
      })
    }
  })

  it('keeps expected failures, cancellation and bugs apart in the error data', async () => {
    const dispatch = createDispatcher(
      handlers({
        'images:get': () => { throw new NotFoundError('image 9 does not exist in this project') },
        'jobs:cancel': () => { throw new CancellationError() },
        'history:undo': () => { throw new TypeError('cannot read properties of undefined') },
        'dialog:pickPaths': () => { throw new ExpectedError('UNSUPPORTED', 'no picker', { cause: new Error('no display') }) }
      })
    )
    await expect(dispatch('images:get', { id: 9 })).resolves.toEqual({
      ok: false,
      error: { name: 'NotFoundError', code: 'NOT_FOUND', message: 'image 9 does not exist in this project' }
    })
    await expect(dispatch('jobs:cancel', { jobId: 1 })).resolves.toEqual({
      ok: false,
      error: { name: 'CancellationError', code: 'CANCELLED', message: 'Cancelled' }
    })
    await expect(dispatch('history:undo', {})).resolves.toEqual({
      ok: false,
      error: { name: 'TypeError', code: 'INTERNAL', message: 'cannot read properties of undefined' }
    })
    await expect(dispatch('dialog:pickPaths', { kind: 'folder' })).resolves.toEqual({
      ok: false,
      error: { name: 'ExpectedError', code: 'UNSUPPORTED', message: 'no picker', cause: 'no display' }
    })
  })

  it('treats a missing request as an empty object for channels without parameters', () => {
    expect(parseRequest('history:state', undefined)).toEqual({})
  })
})
