// tsyringe, under @peculiar/x509, needs the Reflect metadata API loaded first.
import 'reflect-metadata'
import * as x509 from '@peculiar/x509'
import { createPrivateKey, webcrypto, X509Certificate } from 'node:crypto'
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises'
import { isIP } from 'node:net'
import { hostname } from 'node:os'
import { join } from 'node:path'
import type { KeyPair } from './key-pair.js'

x509.cryptoProvider.set(webcrypto as unknown as Crypto)

const EC_P256 = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' }
const DAY = 24 * 3_600_000
// Long-lived: every new certificate breaks the fingerprint users have trusted.
const VALIDITY_DAYS = 5 * 365
const RENEW_WITHIN_DAYS = 30

/** Names the generated certificate always holds besides the machine's host name and those asked for. */
const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '::1']

export interface SelfSignedCertificate extends KeyPair {
  certFile: string
  /** Why a new certificate was made at this start; undefined when the kept one still fits. */
  generatedBecause: string | undefined
}

/**
 * The subject names the certificate is for, in a fixed order so that the same names give the same extension.
 * The machine's host name, kept as the subject's CN, is the one generated with: a container gets a new host name
 * at every run, and that alone must not change the certificate (and its fingerprint) kept in the volume.
 */
function subjectAltNames(
  machine: string,
  requested: readonly string[],
): x509.SubjectAlternativeNameExtension {
  const names = [...new Set([...LOOPBACK_NAMES, machine, ...requested].filter(Boolean))].sort()
  return new x509.SubjectAlternativeNameExtension(
    names.map((value) => (isIP(value) ? { type: 'ip' as const, value } : { type: 'dns' as const, value })),
  )
}

/** Why the kept certificate cannot be served for `requested` any longer, or undefined if it can. */
function unfitBecause(kept: KeyPair, requested: readonly string[]): string | undefined {
  let certificate: x509.X509Certificate
  try {
    certificate = new x509.X509Certificate(kept.certificate)
    if (!new X509Certificate(kept.certificate).checkPrivateKey(createPrivateKey(kept.key))) {
      return 'its key does not match'
    }
  } catch {
    return 'it cannot be read'
  }
  if (certificate.notAfter.getTime() - Date.now() < RENEW_WITHIN_DAYS * DAY) return 'it expires soon'
  const machine = certificate.subjectName.getField('CN')[0] ?? ''
  const held = certificate.getExtension(x509.SubjectAlternativeNameExtension)
  const wanted = subjectAltNames(machine, requested)
  if (!held || Buffer.compare(Buffer.from(held.value), Buffer.from(wanted.value)) !== 0) {
    return 'the host names asked for changed'
  }
  return undefined
}

async function generate(requested: readonly string[]): Promise<KeyPair> {
  const keys = await webcrypto.subtle.generateKey(EC_P256, true, ['sign', 'verify'])
  const machine = hostname()
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    name: [{ CN: [machine || 'infra-server'] }, { O: ['Infra server (self-signed)'] }],
    keys,
    signingAlgorithm: EC_P256,
    notBefore: new Date(Date.now() - DAY),
    notAfter: new Date(Date.now() + VALIDITY_DAYS * DAY),
    extensions: [
      // Not a CA: trusting it (pinning) must not let its key vouch for any other certificate.
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      subjectAltNames(machine, requested),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  })
  const key = x509.PemConverter.encode(
    await webcrypto.subtle.exportKey('pkcs8', keys.privateKey),
    'PRIVATE KEY',
  )
  return { certificate: certificate.toString('pem'), key }
}

/** Writes through a temporary file, so that a crash never leaves half a certificate to be read next time. */
async function replaceFile(path: string, text: string, mode: number): Promise<void> {
  const temporary = `${path}.${process.pid}.tmp`
  await writeFile(temporary, text, { mode })
  await rename(temporary, path)
}

/**
 * The self-signed certificate kept in `dir` (cert.pem, key.pem), made once: again only when it is missing,
 * unreadable, near expiry, or the host names asked for changed.
 */
export async function selfSignedCertificate(
  dir: string,
  requestedHostnames: readonly string[],
): Promise<SelfSignedCertificate> {
  const certFile = join(dir, 'cert.pem')
  const keyFile = join(dir, 'key.pem')
  const [certificate, key] = await Promise.all(
    [certFile, keyFile].map((path) => readFile(path, 'utf8').catch(() => undefined)),
  )
  const generatedBecause =
    certificate === undefined || key === undefined
      ? 'there was none'
      : unfitBecause({ certificate, key }, requestedHostnames)
  if (!generatedBecause) return { certificate: certificate!, key: key!, certFile, generatedBecause }
  const pair = await generate(requestedHostnames)
  await mkdir(dir, { recursive: true, mode: 0o700 })
  await replaceFile(keyFile, pair.key, 0o600)
  await replaceFile(certFile, pair.certificate, 0o644)
  return { ...pair, certFile, generatedBecause }
}
