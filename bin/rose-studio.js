#!/usr/bin/env node
// `rose-studio serve [options]`: runs the app's services without Electron and serves the UI to a browser.
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const [major, minor] = process.versions.node.split('.').map(Number)
if (major < 22 || (major === 22 && minor < 13)) {
  console.error(
    `rose-studio: Node ${process.versions.node} has no built-in SQLite (node:sqlite); run it through npm (\`npm run serve\`), ` +
      'which uses the Node 24 the project installs, or install Node 22.13 or newer.'
  )
  process.exit(1)
}
const command = process.argv[2]
if (command !== 'serve') {
  console.error('Usage: rose-studio serve [--project DIR] [--port N] [--host HOST] [--token TOKEN] [--no-samples] [--no-engine]\n' +
    'The desktop app starts with `npm start`.')
  process.exit(command === undefined || command === '-h' || command === '--help' ? 0 : 2)
}
const entry = fileURLToPath(new URL('../out/main/serve.js', import.meta.url))
if (!existsSync(entry)) {
  console.error(`rose-studio: ${entry} is missing; build the app first with \`npm run build\`.`)
  process.exit(1)
}
await import(entry)
