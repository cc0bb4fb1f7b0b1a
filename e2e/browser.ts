// Real headless Chromium (Debian's `chromium`; `.ci/run` installs it) driven with playwright-core, which ships
// no browser of its own: downloads of browsers from their vendors do not work here.
import { existsSync } from 'node:fs'
import { chromium, type Browser } from 'playwright-core'

const CANDIDATES = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'].filter(
  (path): path is string => Boolean(path),
)

export const chromiumPath = CANDIDATES.find((path) => existsSync(path))

if (!chromiumPath) {
  console.warn('SKIPPED browser tests: no Chromium found (apt-get install -y chromium, or set CHROMIUM_PATH)')
}

export function launchChromium(): Promise<Browser> {
  if (!chromiumPath) throw new Error('no Chromium')
  return chromium.launch({
    executablePath: chromiumPath,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  })
}
