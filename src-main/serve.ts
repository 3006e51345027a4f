/**
 * `rose-studio serve`: the main-process services without Electron, over HTTP + WebSocket. This is how the
 * UI runs in a plain browser (end-to-end tests, a GPU box serving annotators).
 */
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { AppServices } from './app/app-services'
import { engineHostEnv, engineSettingsFile } from './app/engine-options'
import { defaultProjectDir, userDataDir } from './app/paths'
import { errorMessage } from './common/errors'
import { forkHostLauncher } from './engine/host/host-process'
import { ServeServer } from './serve/serve-server'

const USAGE = `Usage: rose-studio serve [options]

  --project DIR   open the project in DIR (created when new); default: the default project in your data folder
  --port N        port to listen on (0 picks a free one); default 7865
  --host HOST     interface to listen on; default 127.0.0.1 (use 0.0.0.0 to serve other machines)
  --token TOKEN   access token; default: a random one, printed in the URL
  --no-samples    do not put the sample images into a new default project
  --no-engine     run without the engine process (manual annotation only)
  -h, --help      show this help`

async function main(argv: readonly string[]): Promise<void> {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      project: { type: 'string' },
      port: { type: 'string', default: process.env.ROSE_PORT ?? '7865' },
      host: { type: 'string', default: '127.0.0.1' },
      token: { type: 'string', default: process.env.ROSE_TOKEN },
      'no-samples': { type: 'boolean', default: false },
      'no-engine': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false }
    },
    strict: true
  })
  if (values.help) {
    console.log(USAGE)
    return
  }
  const port = Number(values.port)
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new RangeError(`--port: expected 0–65535, got ${values.port}`)
  const dataDir = process.env.ROSE_DATA_DIR ?? userDataDir()
  const resourcesDir = fileURLToPath(new URL('../../resources', import.meta.url))
  const services = await AppServices.create({
    version: process.env.ROSE_VERSION ?? '0.1.0',
    transport: 'websocket',
    resourcesDir,
    projectDir: values.project,
    defaultProjectDir: defaultProjectDir(dataDir),
    importSamplesIntoNewDefault: !values['no-samples'],
    engineLauncher: values['no-engine']
      ? undefined
      : forkHostLauncher({ entry: fileURLToPath(new URL('./engine-host.js', import.meta.url)), env: engineHostEnv(resourcesDir, dataDir) }),
    engineSettingsFile: engineSettingsFile(dataDir)
  })
  const server = new ServeServer(services, {
    host: values.host,
    port,
    token: values.token,
    rendererDir: fileURLToPath(new URL('../renderer', import.meta.url))
  })
  const url = await server.listen()
  services.engine.warmUp()
  console.log(`ROSE Studio is serving the project ${services.project.store.root}`)
  console.log(`Open ${url}`)
  if (values.host !== '127.0.0.1' && values.host !== 'localhost' && values.host !== '::1') {
    console.warn(`Listening on ${values.host}: anyone on that network who has the token can use this project.`)
  }

  let stopping = false
  const stop = async (signal: string) => {
    if (stopping) return
    stopping = true
    console.log(`Received ${signal}, closing the project…`)
    await server.close()
    await services.close()
    process.exit(0)
  }
  process.on('SIGINT', () => void stop('SIGINT'))
  process.on('SIGTERM', () => void stop('SIGTERM'))
}

// Invoked as `rose-studio serve …` through the bin, or directly as `node out/main/serve.js …`.
const args = process.argv.slice(2)
if (args[0] === 'serve') args.shift()
main(args).catch((error) => {
  console.error(`rose-studio serve: ${errorMessage(error)}`)
  process.exit(1)
})
