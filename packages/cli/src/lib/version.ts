export { VERSION as CLI_VERSION } from '../generated/version.js'
