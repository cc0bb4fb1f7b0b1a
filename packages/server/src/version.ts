import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)

/** The version of this package, reported by `GET /api/version` and `infra-server --version`. */
export const SERVER_VERSION: string = (require('../package.json') as { version: string }).version
