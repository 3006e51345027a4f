import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { REPO_ROOT } from '../helpers/serve-process'

// These read what `npm run build` produced (npm test builds before it runs this project).
describe('build output', () => {
  it('emits a CommonJS preload that requires nothing but electron (a sandboxed preload can load nothing else)', () => {
    const preload = readFileSync(`${REPO_ROOT}out/preload/index.cjs`, 'utf8')
    const required = [...preload.matchAll(/require\(["']([^"']+)["']\)/g)].map((m) => m[1])
    expect(required).toEqual(['electron'])
    expect(preload).not.toMatch(/^\s*(import|export)\s/m)
    expect(preload).toContain('exposeInMainWorld("rose"')
  })

  it('emits an Electron main and an electron-free serve entry', () => {
    const main = readFileSync(`${REPO_ROOT}out/main/index.js`, 'utf8')
    const serve = readFileSync(`${REPO_ROOT}out/main/serve.js`, 'utf8')
    expect(main).toMatch(/from ["']electron["']/)
    expect(serve).not.toMatch(/["']electron["']/)
  })

  it('emits the renderer page with its script', () => {
    const html = readFileSync(`${REPO_ROOT}out/renderer/index.html`, 'utf8')
    expect(html).toMatch(/<script type="module" crossorigin src="\.?\/?assets\/index-[\w-]+\.js"><\/script>/)
  })
})
