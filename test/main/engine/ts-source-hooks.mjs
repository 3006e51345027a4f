// Lets plain Node 24 run the TypeScript sources in a forked child (tests only): Node strips the
// types itself; this hook adds what the bundler resolution of tsconfig allows and Node does not —
// relative imports without an extension, resolved to the `.ts` file.
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

export async function resolve(specifier, context, nextResolve) {
  if ((specifier.startsWith('./') || specifier.startsWith('../')) && context.parentURL?.endsWith('.ts')) {
    for (const suffix of ['.ts', '/index.ts']) {
      const url = new URL(specifier + suffix, context.parentURL)
      if (existsSync(fileURLToPath(url))) return nextResolve(url.href, context)
    }
  }
  return nextResolve(specifier, context)
}
