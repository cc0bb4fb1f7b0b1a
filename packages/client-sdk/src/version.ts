/** The SDK's own version, sent in the User-Agent. */
export { VERSION as SDK_VERSION } from './generated/version.js'
