// Certificates made at test time, for servers over TLS and clients that must trust (or refuse) them.
// tsyringe, under @peculiar/x509, needs the Reflect metadata API loaded first.
import 'reflect-metadata'
import * as x509 from '@peculiar/x509'
import { webcrypto } from 'node:crypto'

x509.cryptoProvider.set(webcrypto as unknown as Crypto)

const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' }
const DAY = 24 * 3_600_000

/** The names a certificate is for. */
export interface Hosts {
  dns?: string[]
  ip?: string[]
}

/** A certificate and its private key, PEM. */
export interface TestCertificate {
  certificate: string
  key: string
}

export interface Authority {
  /** The CA certificate, PEM. */
  certificate: string
  issue(hosts: Hosts): Promise<TestCertificate>
}

const keys = () =>
  webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify']) as unknown as Promise<CryptoKeyPair>

async function pemKey(key: CryptoKey): Promise<string> {
  const der = await webcrypto.subtle.exportKey('pkcs8', key)
  return x509.PemConverter.encode(der, 'PRIVATE KEY')
}

const validity = () => ({ notBefore: new Date(Date.now() - DAY), notAfter: new Date(Date.now() + DAY) })

const serverExtensions = (hosts: Hosts) => [
  new x509.BasicConstraintsExtension(false),
  new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
  new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
  new x509.SubjectAlternativeNameExtension([
    ...(hosts.dns ?? []).map((value) => ({ type: 'dns' as const, value })),
    ...(hosts.ip ?? []).map((value) => ({ type: 'ip' as const, value })),
  ]),
]

const commonName = (hosts: Hosts) => `CN=${hosts.dns?.[0] ?? hosts.ip?.[0] ?? 'server'}`

/** A fresh certificate authority that issues server certificates. */
export async function createAuthority(name = 'Infra Test CA'): Promise<Authority> {
  const caKeys = await keys()
  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    name: `CN=${name}`,
    keys: caKeys,
    signingAlgorithm: ALGORITHM,
    ...validity(),
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(caKeys.publicKey),
    ],
  })
  return {
    certificate: ca.toString('pem'),
    issue: async (hosts) => {
      const serverKeys = await keys()
      const certificate = await x509.X509CertificateGenerator.create({
        subject: commonName(hosts),
        issuer: ca.subject,
        publicKey: serverKeys.publicKey,
        signingKey: caKeys.privateKey,
        signingAlgorithm: ALGORITHM,
        ...validity(),
        extensions: [...serverExtensions(hosts), await x509.AuthorityKeyIdentifierExtension.create(ca)],
      })
      return { certificate: certificate.toString('pem'), key: await pemKey(serverKeys.privateKey) }
    },
  }
}

/** A server certificate signed by nobody but its own key, as a server makes for itself (or an impostor). */
export async function createSelfSigned(hosts: Hosts): Promise<TestCertificate> {
  const serverKeys = await keys()
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    name: commonName(hosts),
    keys: serverKeys,
    signingAlgorithm: ALGORITHM,
    ...validity(),
    extensions: serverExtensions(hosts),
  })
  return { certificate: certificate.toString('pem'), key: await pemKey(serverKeys.privateKey) }
}
