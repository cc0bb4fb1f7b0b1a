import type { InfraClient } from '@infra/client-sdk'
import { fetchServerCertificate, sameFingerprint } from './certificate.js'
import type { ServerEntry } from './config.js'
import { CliError, type Context } from './context.js'
import type { Prompter } from './prompt.js'
import { isTlsFailure } from './sdk-errors.js'
import { createClient, displayServer } from './session.js'

export interface TrustArgs {
  skipTlsVerify: boolean | undefined
  tlsTrustedFingerprint: string | undefined
}

/** Connects once, and on an untrusted certificate shows its fingerprint and asks to trust it. */
export async function connect(
  ctx: Context,
  args: TrustArgs,
  url: string,
  entry: ServerEntry,
  ask: () => Promise<Prompter>,
): Promise<InfraClient> {
  if (args.skipTlsVerify) entry.skipTLSVerify = true
  let client = await createClient({ url, log: ctx.log, entry })
  try {
    await client.version()
    return client
  } catch (error) {
    await client.close()
    if (!isTlsFailure(error) || !url.startsWith('https://')) throw error
    ctx.log.debug(`the certificate of ${url} is not trusted: ${(error as Error).message}`)
  }
  const certificate = await fetchServerCertificate(url)
  const given = args.tlsTrustedFingerprint
  if (given !== undefined) {
    if (!sameFingerprint(given, certificate.fingerprint)) {
      throw new CliError(
        `the certificate of ${displayServer(url)} has the SHA-256 fingerprint ${certificate.fingerprint}, ` +
          `not the one given with --tls-trusted-fingerprint`,
        'check with the server administrator which certificate the server uses',
      )
    }
  } else if (entry.trustedFingerprint && sameFingerprint(entry.trustedFingerprint, certificate.fingerprint)) {
    // Trusted before, yet not accepted: the remembered PEM cannot verify it. Fall through to trust it again.
  } else {
    const details =
      `The certificate of ${displayServer(url)} is not trusted.\n` +
      `  Subject:     ${certificate.subject}\n` +
      `  Issuer:      ${certificate.issuer}\n` +
      `  Expires:     ${certificate.validTo}\n` +
      `  Fingerprint: ${certificate.fingerprint} (SHA-256)\n` +
      (entry.trustedFingerprint
        ? `  WARNING: it is not the certificate trusted before (${entry.trustedFingerprint})\n`
        : '')
    if (!ctx.interactive) {
      ctx.io.stderr.write(details)
      throw new CliError(
        `the TLS certificate of ${displayServer(url)} is not trusted`,
        `after checking the fingerprint with your administrator, pass --tls-trusted-fingerprint ${certificate.fingerprint}`,
      )
    }
    ctx.io.stderr.write(`${details}Compare the fingerprint with the one your administrator gave you.\n`)
    const trust = await (await ask()).confirm('Trust this certificate?', false)
    if (!trust)
      throw new CliError('the certificate was not trusted', 'log in again once you can check its fingerprint')
  }
  entry.trustedCertificate = certificate.pem
  entry.trustedFingerprint = certificate.fingerprint
  client = await createClient({ url, log: ctx.log, entry })
  try {
    await client.version()
  } catch (error) {
    await client.close()
    if (isTlsFailure(error)) {
      throw new CliError(
        `${displayServer(url)} still fails TLS verification with its certificate trusted: ${(error as Error).message}`,
        'the certificate may not name this host; pass --skip-tls-verify only for testing',
      )
    }
    throw error
  }
  return client
}
