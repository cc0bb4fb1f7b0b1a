export { startServer, type RunningServer, type ServerOptions } from './server.js'
export { SERVER_VERSION } from './version.js'
