import { X509Certificate } from 'node:crypto'
import { checkServerIdentity, rootCertificates, type PeerCertificate } from 'node:tls'
import { Agent, fetch as undiciFetch } from 'undici'
import type { FetchFunction } from './http.js'
import type { TlsFetch, TlsOptions } from './tls.js'

/**
 * A fetch over undici with its own certificate settings. It uses undici's own fetch together with its
 * Agent: handing an npm undici dispatcher to Node's built-in fetch breaks when the two undici versions differ.
 */
export function createTlsFetch(options: TlsOptions): TlsFetch {
  const trusted = options.trustedCertificate
  const agent = new Agent({
    connect: {
      rejectUnauthorized: options.skipTLSVerify !== true,
      ...(trusted === undefined ? {} : pinning(trusted)),
    },
  })
  const fetch: FetchFunction = async (input, init) => {
    // Requests arrive as the platform's Request class, which undici's fetch does not recognise as its own.
    const request = new Request(input, init)
    const headers: [string, string][] = []
    request.headers.forEach((value, name) => headers.push([name, value]))
    const body = request.body ? new Uint8Array(await request.arrayBuffer()) : undefined
    const response = await undiciFetch(request.url, {
      method: request.method,
      headers,
      body: body ?? null,
      signal: request.signal,
      redirect: request.redirect,
      dispatcher: agent,
    })
    return response as unknown as Response
  }
  return { fetch, close: () => agent.close() }
}

/**
 * Trusts a server presenting exactly `trusted` whatever name it was reached by (a self-signed server reached
 * by an address its certificate does not list), and anything else only when it chains to `trusted` or the
 * usual roots and names the host.
 */
function pinning(trusted: string) {
  let pinned: Buffer
  try {
    pinned = new X509Certificate(trusted).raw
  } catch {
    throw new TypeError('trustedCertificate is not a PEM certificate')
  }
  return {
    // Node's `ca` replaces the default roots; keeping them lets a public certificate still verify.
    ca: [...rootCertificates, trusted],
    // `trusted` is an anchor even when it is not self-signed, e.g. a leaf from a private CA, pinned as such.
    allowPartialTrustChain: true,
    checkServerIdentity: (host: string, certificate: PeerCertificate) =>
      certificate.raw.equals(pinned) ? undefined : checkServerIdentity(host, certificate),
  }
}
