// The `rose-studio serve` command line: usage, refused options, and the warning when it listens beyond
// this machine. (Serving itself is covered by every other e2e test, which starts `out/main/serve.js`.)
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { REPO_ROOT, startServe } from '../helpers/serve-process'

const run = (args: string[]) => spawnSync(process.execPath, args, { cwd: REPO_ROOT, encoding: 'utf8', timeout: 60_000, env: { ...process.env, ROSE_DATA_DIR: join(tmpdir(), 'rose-cli-unused') } })

describe('rose-studio serve command line', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rose-cli-'))
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  it('the bin prints its usage with every option, and refuses an unknown command with status 2', () => {
    const help = run(['bin/rose-studio.js', '--help'])
    expect(help.status).toBe(0)
    expect(help.stderr).toContain('Usage: rose-studio serve [--project DIR] [--port N] [--host HOST] [--token TOKEN] [--no-samples] [--no-engine]')
    expect(run(['bin/rose-studio.js', 'launch']).status).toBe(2)
  })

  it('serve --help lists the options', () => {
    const help = run(['bin/rose-studio.js', 'serve', '--help'])
    expect(help.status).toBe(0)
    for (const option of ['--project DIR', '--port N', '--host HOST', '--token TOKEN', '--no-samples', '--no-engine']) expect(help.stdout).toContain(option)
  })

  it('BAD CALL – a port out of range and an unknown option end with one line and status 1', () => {
    const port = run(['out/main/serve.js', '--port', '70000', '--project', dir])
    expect(port.status).toBe(1)
    expect(port.stderr.trim()).toBe('rose-studio serve: --port: expected 0–65535, got 70000')
    const unknown = run(['out/main/serve.js', '--bogus'])
    expect(unknown.status).toBe(1)
    expect(unknown.stderr.trim().split('\n')).toHaveLength(1)
    expect(unknown.stderr).toContain("Unknown option '--bogus'")
  })

  it('warns when it listens on other interfaces than loopback', async () => {
    const server = await startServe(['--host', '0.0.0.0', '--project', join(dir, 'p'), '--no-samples', '--no-engine'])
    try {
      // Printed right after the URL, on stderr: it may arrive a moment after the URL did.
      const warning = 'Listening on 0.0.0.0: anyone on that network who has the token can use this project.'
      for (let i = 0; i < 100 && !server.output().includes(warning); i++) await new Promise((r) => setTimeout(r, 50))
      expect(server.output()).toContain(warning)
      const page = await fetch(`${server.origin}/?token=${server.token}`)
      expect(page.status).toBe(200)
    } finally {
      await server.stop()
    }
    const local = await startServe(['--project', join(dir, 'p'), '--no-samples', '--no-engine'])
    try {
      await new Promise((r) => setTimeout(r, 500))
      expect(local.output()).not.toContain('Listening on')
    } finally {
      await local.stop()
    }
  }, 60_000)
})
