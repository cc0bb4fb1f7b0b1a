// tsyringe, under @peculiar/x509, needs the Reflect metadata API loaded first.
import 'reflect-metadata'
import * as x509 from '@peculiar/x509'
import { createPrivateKey, webcrypto, X509Certificate } from 'node:crypto'
import { isIP } from 'node:net'

x509.cryptoProvider.set(webcrypto as unknown as Crypto)

const EC_P256 = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' }
const DAY = 24 * 3_600_000

export interface KeyPairPem {
  certificate: string
  key: string
}

const generateKeys = () =>
  webcrypto.subtle.generateKey(EC_P256, true, ['sign', 'verify']) as unknown as Promise<CryptoKeyPair>

async function pemKey(key: CryptoKey): Promise<string> {
  const der = await webcrypto.subtle.exportKey('pkcs8', key)
  return x509.PemConverter.encode(der, 'PRIVATE KEY')
}

/** Imports a PEM private key (PKCS#1, SEC1 or PKCS#8; EC P-256/P-384 or RSA) for signing. */
async function importSigningKey(pem: string): Promise<{ key: CryptoKey; algorithm: Algorithm & object }> {
  const keyObject = createPrivateKey(pem)
  const der = keyObject.export({ type: 'pkcs8', format: 'der' })
  const type = keyObject.asymmetricKeyType
  let algorithm: Algorithm & { namedCurve?: string; hash?: string }
  if (type === 'ec') {
    const curve = keyObject.asymmetricKeyDetails?.namedCurve
    if (curve === 'prime256v1') algorithm = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' }
    else if (curve === 'secp384r1') algorithm = { name: 'ECDSA', namedCurve: 'P-384', hash: 'SHA-384' }
    else throw new Error(`unsupported CA key curve ${curve ?? 'unknown'} (use P-256, P-384 or RSA)`)
  } else if (type === 'rsa') {
    algorithm = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }
  } else {
    throw new Error(`unsupported CA key type ${type ?? 'unknown'} (use EC P-256, P-384 or RSA)`)
  }
  const key = await webcrypto.subtle.importKey('pkcs8', der, algorithm, false, ['sign'])
  return { key, algorithm }
}

/** A new self-signed CA for the connector's proxy, valid for 10 years. */
export async function generateAuthority(name: string): Promise<KeyPairPem> {
  const keys = await generateKeys()
  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    name: `CN=${name.replace(/[,=+<>#;"\\]/g, '_')}`,
    keys,
    signingAlgorithm: EC_P256,
    notBefore: new Date(Date.now() - DAY),
    notAfter: new Date(Date.now() + 3650 * DAY),
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  })
  return { certificate: ca.toString('pem'), key: await pemKey(keys.privateKey) }
}

/** Checks that a CA certificate and key belong together and the certificate can sign. */
export function checkAuthority(pair: KeyPairPem): void {
  const certificate = new X509Certificate(pair.certificate)
  if (!certificate.ca) throw new Error('the CA certificate is not a CA (basicConstraints CA:TRUE missing)')
  if (!certificate.checkPrivateKey(createPrivateKey(pair.key))) {
    throw new Error('the CA key does not match the CA certificate')
  }
}

/** Issues a serving certificate for `hosts` (DNS names or IPs), valid for `days`. */
export async function issueServingCertificate(
  authority: KeyPairPem,
  hosts: readonly string[],
  days = 365,
): Promise<KeyPairPem & { notAfter: Date }> {
  const ca = new x509.X509Certificate(authority.certificate)
  const signer = await importSigningKey(authority.key)
  const keys = await generateKeys()
  const unique = [...new Set(hosts.map((host) => host.replace(/^\[|\]$/g, '')).filter(Boolean))]
  const caNotAfter = ca.notAfter.getTime()
  const notAfter = new Date(Math.min(Date.now() + days * DAY, caNotAfter))
  const certificate = await x509.X509CertificateGenerator.create({
    subject: `CN=${(unique[0] ?? 'infra-connector').replace(/[,=+<>#;"\\]/g, '_').slice(0, 64)}`,
    issuer: ca.subject,
    publicKey: keys.publicKey,
    signingKey: signer.key,
    signingAlgorithm: signer.algorithm,
    notBefore: new Date(Date.now() - 5 * 60_000),
    notAfter,
    extensions: [
      new x509.BasicConstraintsExtension(false),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment,
        true,
      ),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension(
        unique.map((value) =>
          isIP(value) ? { type: 'ip' as const, value } : { type: 'dns' as const, value },
        ),
      ),
      await x509.AuthorityKeyIdentifierExtension.create(ca),
    ],
  })
  return { certificate: certificate.toString('pem'), key: await pemKey(keys.privateKey), notAfter }
}

/** The host part of `host:port`, `[v6]:port` or a bare host. */
export function endpointHost(endpoint: string): string {
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(endpoint)
  if (bracketed?.[1]) return bracketed[1]
  if (isIP(endpoint) === 6) return endpoint
  const colon = endpoint.lastIndexOf(':')
  return colon === -1 ? endpoint : endpoint.slice(0, colon)
}
