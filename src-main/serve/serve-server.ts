import { randomBytes, timingSafeEqual } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { stat } from 'node:fs/promises'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { extname, join, normalize, resolve, sep } from 'node:path'
import { WebSocketServer, type WebSocket } from 'ws'
import type { FileKind, WireMessage } from '../../src-preload/contract'
import type { AppServices } from '../app/app-services'
import { errorMessage, serializeError } from '../common/errors'
import { DisposableStore } from '../common/lifecycle'

/** Where and how the serve-mode server listens. */
export interface ServeOptions {
  readonly host: string
  readonly port: number
  /** The access token; a random one when absent. */
  readonly token?: string | undefined
  /** The built renderer (index.html and assets). */
  readonly rendererDir: string
}

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2'
}

// The same policy the Electron window gets: nothing but our own origin, images from our file route.
const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"

const FILE_ROUTE = /^\/api\/files\/(image|thumb)\/(\d+)$/

/**
 * The serve-mode transport: the built renderer over HTTP and the API contract over a WebSocket, both
 * behind a random token (as Jupyter does), on loopback unless the user opts into another interface.
 */
export class ServeServer {
  private readonly http: Server
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 * 1024 })
  private readonly disposables = new DisposableStore()
  /** The token every request must carry. */
  readonly token: string

  constructor(
    private readonly services: AppServices,
    private readonly options: ServeOptions
  ) {
    this.token = options.token ?? randomBytes(24).toString('hex')
    this.http = createServer((req, res) => {
      this.handleHttp(req, res).catch((error) => {
        console.error('[serve] request failed', error)
        if (!res.headersSent) sendText(res, 500, `internal error: ${errorMessage(error)}`)
        else res.destroy()
      })
    })
    this.http.on('upgrade', (req, socket, head) => {
      const url = new URL(req.url ?? '/', 'http://localhost')
      if (url.pathname !== '/api/ws' || !this.authorized(req, url)) {
        socket.end('HTTP/1.1 401 Unauthorized\r\nConnection: close\r\nContent-Length: 0\r\n\r\n')
        return
      }
      this.wss.handleUpgrade(req, socket, head, (ws) => this.handleSocket(ws))
    })
    this.disposables.add(
      services.events.onDidFire(({ event, payload }) => {
        const message = JSON.stringify({ type: 'event', event, payload } satisfies WireMessage)
        for (const client of this.wss.clients) if (client.readyState === client.OPEN) client.send(message)
      })
    )
  }

  /** Starts listening; resolves to the URL (with the token) a browser should open. */
  async listen(): Promise<string> {
    await new Promise<void>((resolveListen, reject) => {
      this.http.once('error', reject)
      this.http.listen(this.options.port, this.options.host, () => resolveListen())
    })
    const { port } = this.http.address() as AddressInfo
    const host = this.options.host.includes(':') ? `[${this.options.host}]` : this.options.host
    return `http://${host}:${port}/?token=${this.token}`
  }

  /** Closes every client connection and stops listening. */
  async close(): Promise<void> {
    this.disposables.dispose()
    for (const client of this.wss.clients) client.terminate()
    this.wss.close()
    this.http.closeAllConnections()
    await new Promise<void>((done) => this.http.close(() => done()))
  }

  private authorized(req: IncomingMessage, url: URL): boolean {
    const given = url.searchParams.get('token') ?? bearer(req.headers.authorization) ?? cookieToken(req.headers.cookie)
    if (!given) return false
    const a = Buffer.from(given)
    const b = Buffer.from(this.token)
    return a.length === b.length && timingSafeEqual(a, b)
  }

  private async handleHttp(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost')
    if (req.method !== 'GET' && req.method !== 'HEAD') return sendText(res, 405, 'method not allowed')
    const isPage = url.pathname === '/' || url.pathname === '/index.html'
    if (url.pathname.startsWith('/api/') || isPage) {
      if (!this.authorized(req, url)) {
        return isPage
          ? sendHtml(res, 401, UNAUTHORIZED_PAGE)
          : sendText(res, 401, 'missing or wrong token: open the URL that `rose-studio serve` printed')
      }
    }
    const file = FILE_ROUTE.exec(url.pathname)
    if (file) return this.sendProjectFile(res, file[1] as FileKind, Number(file[2]))
    if (url.pathname.startsWith('/api/')) return sendText(res, 404, `no such API route: ${url.pathname}`)
    if (isPage) {
      // Later requests (assets, images) may rely on the cookie instead of repeating the token.
      res.setHeader('Set-Cookie', `rose_token=${this.token}; HttpOnly; SameSite=Strict; Path=/`)
      return this.sendStatic(res, 'index.html')
    }
    return this.sendStatic(res, url.pathname.slice(1))
  }

  private async sendProjectFile(res: ServerResponse, kind: FileKind, id: number): Promise<void> {
    let served
    try {
      served = await this.services.serveFile(kind, id)
    } catch (error) {
      const data = serializeError(error)
      return sendText(res, data.code === 'NOT_FOUND' ? 404 : 500, data.message)
    }
    res.writeHead(200, { 'Content-Type': served.contentType, 'Cache-Control': 'private, max-age=3600' })
    if ('data' in served) res.end(served.data)
    else createReadStream(served.path).on('error', () => res.destroy()).pipe(res)
  }

  private async sendStatic(res: ServerResponse, relative: string): Promise<void> {
    const root = resolve(this.options.rendererDir)
    const target = normalize(join(root, decodeURIComponent(relative)))
    if (target !== root && !target.startsWith(root + sep)) return sendText(res, 403, 'forbidden')
    const info = await stat(target).catch(() => undefined)
    if (!info?.isFile()) return sendText(res, 404, `not found: /${relative}`)
    const headers: Record<string, string> = {
      'Content-Type': CONTENT_TYPES[extname(target)] ?? 'application/octet-stream',
      'Content-Length': String(info.size),
      'X-Content-Type-Options': 'nosniff'
    }
    if (target.endsWith('.html')) {
      headers['Content-Security-Policy'] = CSP
      headers['Cache-Control'] = 'no-store'
    }
    res.writeHead(200, headers)
    createReadStream(target).pipe(res)
  }

  private handleSocket(ws: WebSocket): void {
    ws.on('message', (raw) => {
      let message: WireMessage
      try {
        message = JSON.parse(raw.toString()) as WireMessage
      } catch {
        return this.reply(ws, -1, { ok: false, error: badMessage('the message is not JSON') })
      }
      if (message?.type !== 'call' || typeof message.id !== 'number') {
        return this.reply(ws, -1, { ok: false, error: badMessage('expected {type: "call", id: number, channel, request}') })
      }
      void this.services.dispatch(message.channel, message.request).then((envelope) => this.reply(ws, message.id, envelope))
    })
  }

  private reply(ws: WebSocket, id: number, envelope: Extract<WireMessage, { type: 'result' }>['envelope']): void {
    if (ws.readyState === ws.OPEN) ws.send(JSON.stringify({ type: 'result', id, envelope } satisfies WireMessage))
  }
}

function badMessage(message: string) {
  return { name: 'InvalidArgumentError', code: 'INVALID_ARGUMENT', message }
}

function bearer(header: string | undefined): string | undefined {
  return header?.startsWith('Bearer ') ? header.slice(7) : undefined
}

function cookieToken(header: string | undefined): string | undefined {
  return header
    ?.split(';')
    .map((part) => part.trim())
    .find((part) => part.startsWith('rose_token='))
    ?.slice('rose_token='.length)
}

function sendText(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8' })
  res.end(text)
}

function sendHtml(res: ServerResponse, status: number, html: string): void {
  res.writeHead(status, { 'Content-Type': 'text/html; charset=utf-8', 'Content-Security-Policy': CSP })
  res.end(html)
}

const UNAUTHORIZED_PAGE = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>ROSE Studio — token required</title>
<style>body{font:15px system-ui,sans-serif;background:#16181d;color:#e6e6e6;display:grid;place-items:center;height:100vh;margin:0}
main{max-width:34rem}code{background:#2a2d35;padding:.1rem .3rem;border-radius:3px}</style></head>
<body><main><h1>This ROSE Studio server needs its access token</h1>
<p>The link is missing the token or carries a wrong one. Open the URL that <code>rose-studio serve</code> printed
in its terminal (it ends in <code>?token=…</code>).</p></main></body></html>`
