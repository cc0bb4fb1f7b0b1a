import type { FetchFunction } from './http.js'

export interface TlsOptions {
  /**
   * PEM of a certificate to trust in addition to the usual roots: a server presenting exactly this certificate is
   * trusted whatever name it is reached by (pinning, e.g. a server's self-signed certificate); any other must
   * chain to it (a CA) or to the usual roots, and name the host.
   */
  trustedCertificate?: string
  /** Accept any certificate. Only for testing: it lets anyone in the middle read the access key. */
  skipTLSVerify?: boolean
}

export interface TlsFetch {
  fetch: FetchFunction
  close(): Promise<void>
}

type TlsFetchFactory = (options: TlsOptions) => Promise<TlsFetch>

let factory: TlsFetchFactory | undefined

/**
 * Browsers decide for themselves which certificates to trust, so the TLS options need Node's networking.
 * The Node entry point registers it here; the default entry point stays free of Node-only imports.
 */
export function registerTlsFetchFactory(create: TlsFetchFactory): void {
  factory = create
}

export function wantsCustomTls(options: TlsOptions): boolean {
  return options.trustedCertificate !== undefined || options.skipTLSVerify === true
}

/** A fetch that verifies certificates as asked, loading the Node implementation on first use. */
export function tlsFetch(options: TlsOptions): TlsFetch {
  const create = factory
  if (!create) {
    throw new TypeError(
      'trustedCertificate and skipTLSVerify need Node.js: import the client from "@infra/client-sdk" ' +
        'under Node (or "@infra/client-sdk/node"); in a browser the browser decides which certificates to trust',
    )
  }
  let loading: Promise<TlsFetch> | undefined
  const load = () => (loading ??= create(options))
  return {
    fetch: async (input, init) => (await load()).fetch(input, init),
    close: async () => {
      if (loading) await (await loading).close()
    },
  }
}
