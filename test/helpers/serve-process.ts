import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

/** The repository root. */
export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url))

/** A running `rose-studio serve` child process. */
export interface ServeProcess {
  readonly child: ChildProcess
  /** The URL it printed, with the token. */
  readonly url: string
  readonly origin: string
  readonly token: string
  /** Everything it wrote, for failure messages. */
  output(): string
  /** Stops it with SIGTERM and waits for the exit. */
  stop(): Promise<void>
}

/** Starts the built serve mode (`out/main/serve.js`, made by `npm run build`) on a free port. */
export async function startServe(args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<ServeProcess> {
  const entry = `${REPO_ROOT}out/main/serve.js`
  if (!existsSync(entry)) throw new Error(`${entry} is missing: run \`npm run build\` first`)
  const child = spawn(process.execPath, [entry, '--port', '0', ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  let output = ''
  child.stdout!.on('data', (d) => (output += d))
  child.stderr!.on('data', (d) => (output += d))
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not print its URL in 60 s:\n${output}`)), 60_000)
    const check = () => {
      const match = /(http:\/\/\S+\?token=\S+)/.exec(output)
      if (match) {
        clearTimeout(timer)
        resolve(match[1]!)
      }
    }
    child.stdout!.on('data', check)
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`serve exited with ${code} before listening:\n${output}`))
    })
  })
  const parsed = new URL(url)
  return {
    child,
    url,
    origin: parsed.origin,
    token: parsed.searchParams.get('token')!,
    output: () => output,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return
      const exited = new Promise((r) => child.once('exit', r))
      child.kill('SIGTERM')
      await exited
    }
  }
}
