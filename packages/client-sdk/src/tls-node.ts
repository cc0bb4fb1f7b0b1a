import { rootCertificates } from 'node:tls'
import { Agent, fetch as undiciFetch } from 'undici'
import type { FetchFunction } from './http.js'
import type { TlsFetch, TlsOptions } from './tls.js'

/**
 * A fetch over undici with its own certificate settings. It uses undici's own fetch together with its
 * Agent: handing an npm undici dispatcher to Node's built-in fetch breaks when the two undici versions differ.
 */
export function createTlsFetch(options: TlsOptions): TlsFetch {
  const agent = new Agent({
    connect: {
      // Node's `ca` replaces the default roots; keeping them lets a public certificate still verify.
      ca:
        options.trustedCertificate === undefined
          ? undefined
          : [...rootCertificates, options.trustedCertificate],
      rejectUnauthorized: options.skipTLSVerify !== true,
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
