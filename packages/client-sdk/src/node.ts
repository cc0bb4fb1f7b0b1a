// The Node entry point: everything of the default one, plus the TLS options (custom CA, skip verify),
// whose implementation (undici) is loaded only when a client asks for them.
import { registerTlsFetchFactory } from './tls.js'

registerTlsFetchFactory(async (options) => (await import('./tls-node.js')).createTlsFetch(options))

export * from './index.js'
