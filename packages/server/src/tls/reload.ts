import type { Logger } from '../http/logger.js'
import { checkKeyPair, fingerprintOf, readKeyPairFiles, type KeyPair } from './key-pair.js'

export interface CertificateFiles {
  certFile: string
  keyFile: string
}

/**
 * Reads the files every `intervalMs` and hands a changed pair that is valid to `apply`; a pair that is not (a
 * half-done rotation: a new certificate beside the old key) is logged and left until the files change again.
 * Contents are compared rather than modification times: a mounted Kubernetes Secret changes by swapping a
 * symlink, which a file watcher on the old target never sees.
 */
export function followCertificateFiles(
  files: CertificateFiles,
  served: KeyPair,
  apply: (pair: KeyPair) => void,
  logger: Logger,
  intervalMs: number,
): () => void {
  let seen = served
  let checking = false
  // Logged once, not at every check while the files stay as they are.
  let problem: string | undefined
  const check = async () => {
    const pair = await readKeyPairFiles(files)
    if (pair.certificate === seen.certificate && pair.key === seen.key) return
    seen = pair
    checkKeyPair(pair, files)
    apply(pair)
    problem = undefined
    logger.info({ fingerprint: fingerprintOf(pair.certificate), ...files }, 'reloaded the TLS certificate')
  }
  const timer = setInterval(() => {
    if (checking) return
    checking = true
    check()
      .catch((error: Error) => {
        if (error.message === problem) return
        problem = error.message
        logger.warn({ ...files, reason: problem }, 'kept serving the previous TLS certificate')
      })
      .finally(() => (checking = false))
  }, intervalMs)
  timer.unref()
  return () => clearInterval(timer)
}
