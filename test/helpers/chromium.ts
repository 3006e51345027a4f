/** Debian's Chromium for the end-to-end tests: headless, offline, one fixed window size. */
import { chromium, type BrowserContext } from 'playwright-core'

// No sandbox (CI runs as root), no GPU, and nothing that reaches the network on its own.
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync'
]

/** Starts /usr/bin/chromium with its profile in `userDataDir` and a 1440×900 viewport. */
export function launchChromium(userDataDir: string): Promise<BrowserContext> {
  return chromium.launchPersistentContext(userDataDir, {
    executablePath: '/usr/bin/chromium',
    args: CHROMIUM_ARGS,
    viewport: { width: 1440, height: 900 }
  })
}
