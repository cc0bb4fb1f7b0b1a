import { connect, type DetailedPeerCertificate } from 'node:tls'

export interface ServerCertificate {
  /** SHA-256 fingerprint of the server's certificate, `AB:CD:...`. */
  fingerprint: string
  subject: string
  issuer: string
  validTo: string
  /** PEM of the top of the chain the server sent: what to trust from now on. */
  pem: string
}

const toPem = (der: Buffer) =>
  `-----BEGIN CERTIFICATE-----\n${
    der
      .toString('base64')
      .match(/.{1,64}/g)
      ?.join('\n') ?? ''
  }\n-----END CERTIFICATE-----\n`

const describe = (name: Record<string, string | string[]> | undefined) =>
  Object.entries(name ?? {})
    .map(([key, value]) => `${key}=${Array.isArray(value) ? value.join('+') : value}`)
    .join(', ')

/** Reads the certificate a server presents, without trusting it. */
export function fetchServerCertificate(url: string, timeoutMs = 10_000): Promise<ServerCertificate> {
  const { hostname, port } = new URL(url)
  const host = hostname.replace(/^\[|\]$/g, '')
  return new Promise((resolve, reject) => {
    const socket = connect({
      host,
      port: Number(port || 443),
      servername: /^[\d.]+$|:/.test(host) ? undefined : host,
      rejectUnauthorized: false,
      timeout: timeoutMs,
    })
    socket.once('secureConnect', () => {
      const leaf = socket.getPeerCertificate(true)
      let top: DetailedPeerCertificate = leaf
      while (top.issuerCertificate && top.issuerCertificate !== top && top.issuerCertificate.raw) {
        top = top.issuerCertificate
      }
      socket.end()
      resolve({
        fingerprint: leaf.fingerprint256,
        subject: describe(leaf.subject as unknown as Record<string, string>),
        issuer: describe(leaf.issuer as unknown as Record<string, string>),
        validTo: leaf.valid_to,
        pem: toPem(top.raw),
      })
    })
    socket.once('timeout', () => socket.destroy(new Error(`no TLS answer from ${host}:${port} in time`)))
    socket.once('error', reject)
  })
}

/** Fingerprints compare without regard to case or separators. */
export function sameFingerprint(a: string, b: string): boolean {
  const clean = (text: string) => text.replace(/[^0-9a-f]/gi, '').toUpperCase()
  return clean(a) !== '' && clean(a) === clean(b)
}
