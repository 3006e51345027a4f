import { protocol } from 'electron'
import { readFile } from 'node:fs/promises'
import { FILE_SCHEME, type FileKind } from '../../src-preload/contract'
import type { AppServices } from '../app/app-services'
import { serializeError } from '../common/errors'

/** Declares the image-file scheme before the app is ready (Electron requires this order). */
export function registerFileScheme(): void {
  protocol.registerSchemesAsPrivileged([
    { scheme: FILE_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true, stream: true } }
  ])
}

/** Serves `rose-file://image/<id>` and `rose-file://thumb/<id>` from the open project. */
export function handleFileScheme(services: AppServices): void {
  protocol.handle(FILE_SCHEME, async (request) => {
    const url = new URL(request.url)
    const id = Number(url.pathname.replace(/^\//, ''))
    const kind = url.hostname as FileKind
    if ((kind !== 'image' && kind !== 'thumb') || !Number.isInteger(id) || id <= 0) {
      return new Response(`bad file URL ${request.url}`, { status: 400 })
    }
    try {
      const served = await services.serveFile(kind, id)
      const body = 'data' in served ? served.data : await readFile(served.path)
      return new Response(new Uint8Array(body), { headers: { 'Content-Type': served.contentType } })
    } catch (error) {
      const data = serializeError(error)
      return new Response(data.message, { status: data.code === 'NOT_FOUND' ? 404 : 500 })
    }
  })
}
