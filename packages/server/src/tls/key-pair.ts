import { createPrivateKey, X509Certificate } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { createSecureContext } from 'node:tls'

/** A serving certificate (PEM, possibly with its chain) and its private key (PEM). */
export interface KeyPair {
  certificate: string
  key: string
}

/** The SHA-256 fingerprint of a PEM certificate's first (leaf) certificate, as `AB:CD:…`. */
export const fingerprintOf = (certificate: string): string => new X509Certificate(certificate).fingerprint256

/**
 * Checks that the texts are a PEM certificate and the private key that goes with it, with errors that name the
 * files: OpenSSL's own messages ("error:1E08010C:DECODER routines::unsupported") say neither what nor where.
 */
export function checkKeyPair(pair: KeyPair, files: { certFile: string; keyFile: string }): void {
  let certificate: X509Certificate
  try {
    certificate = new X509Certificate(pair.certificate)
  } catch {
    throw new Error(`the TLS certificate ${files.certFile} holds no PEM certificate`)
  }
  let key
  try {
    key = createPrivateKey(pair.key)
  } catch {
    throw new Error(`the TLS key ${files.keyFile} holds no unencrypted PEM private key`)
  }
  if (!certificate.checkPrivateKey(key)) {
    throw new Error(`the TLS key ${files.keyFile} does not belong to the certificate ${files.certFile}`)
  }
  try {
    createSecureContext({ cert: pair.certificate, key: pair.key })
  } catch (error) {
    throw new Error(`the TLS certificate ${files.certFile} cannot be served: ${(error as Error).message}`, {
      cause: error,
    })
  }
}

/** Reads both files, failing with a message that names the file that could not be read. */
export async function readKeyPairFiles(files: { certFile: string; keyFile: string }): Promise<KeyPair> {
  const read = (path: string, what: string) =>
    readFile(path, 'utf8').catch((error: NodeJS.ErrnoException) => {
      const why = error.code === 'ENOENT' ? 'no such file' : error.message
      throw new Error(`cannot read the TLS ${what} ${path}: ${why}`)
    })
  const [certificate, key] = await Promise.all([
    read(files.certFile, 'certificate'),
    read(files.keyFile, 'key'),
  ])
  return { certificate, key }
}
