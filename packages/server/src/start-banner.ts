/**
 * What the person starting the server reads on stderr, outside the JSON log: the fingerprint to pin a
 * self-signed certificate by, and on the first start the admin key (shown once) in a login command that works.
 */
export function startBanner(facts: {
  port: number
  secure: boolean
  firstStartAdminKey: string | undefined
  selfSignedFingerprint: string | undefined
}): string {
  const { port, secure, firstStartAdminKey, selfSignedFingerprint } = facts
  let text = ''
  if (selfSignedFingerprint) {
    text +=
      `\n  Infra serves HTTPS with its own self-signed certificate, whose SHA-256 fingerprint is\n\n` +
      `    ${selfSignedFingerprint}\n\n` +
      `  Clients trust it by that fingerprint (infra login --tls-trusted-fingerprint).\n`
  }
  if (firstStartAdminKey) {
    const server = secure ? (port === 443 ? 'localhost' : `localhost:${port}`) : `http://localhost:${port}`
    const trust = selfSignedFingerprint ? ` --tls-trusted-fingerprint ${selfSignedFingerprint}` : ''
    text +=
      `\n  Infra is running for the first time. Log in as admin with this access key (valid 24h, shown once):\n\n` +
      `    infra login ${server} --key ${firstStartAdminKey}${trust}\n`
  }
  return text && `${text}\n`
}
