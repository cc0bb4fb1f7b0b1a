/** The connector's version, sent in its User-Agent and registration. */
export { VERSION as CONNECTOR_VERSION } from './generated/version.js'
