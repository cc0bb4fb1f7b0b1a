/** The version of this package, reported by `GET /api/version` and `infra-server --version`. */
export { VERSION as SERVER_VERSION } from './generated/version.js'
