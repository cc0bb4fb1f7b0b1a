export { startServer, type RunningServer, type ServerOptions } from './server.js'
export type { TlsSetting } from './tls/serving.js'
export { SERVER_VERSION } from './version.js'
