import { createRequire } from 'node:module'

declare const __INFRA_CLI_VERSION__: string | undefined

/** Set by the bundler; read from package.json when running from source (tests). */
export const CLI_VERSION: string =
  typeof __INFRA_CLI_VERSION__ === 'string'
    ? __INFRA_CLI_VERSION__
    : (createRequire(import.meta.url)('../../package.json') as { version: string }).version
