// The log secret scan: which log files of a run directory (see logs.ts) hold a secret, found by its shape (access
// keys, JWTs) or as one of the exact values the tests recorded (passwords, client secrets, refresh tokens).
import { ACCESS_KEY_PATTERN } from '@infra/api-types'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { secretsFile } from './logs.js'

export interface Finding {
  file: string
  line: number
  kind: string
  /** The secret with all but its first 4 characters masked: the scan's report must not leak it either. */
  masked: string
}

const WORD = '[0-9A-Za-z_-]'
/** The shapes of the secrets Infra makes, standing alone (not inside a longer word). */
const SHAPES: Array<{ kind: string; pattern: RegExp }> = [
  {
    kind: 'access key',
    pattern: new RegExp(`(?<!${WORD})${ACCESS_KEY_PATTERN.source.replace(/^\^|\$$/g, '')}(?!${WORD})`, 'g'),
  },
  // A JSON header and payload (both begin `{"`, base64url `eyJ`) and a signature.
  { kind: 'JWT', pattern: new RegExp(`eyJ${WORD}+\\.eyJ${WORD}+\\.${WORD}+`, 'g') },
  // DATABASE_URL with its password (the embedded Postgres's is too plain a word to look for by itself).
  { kind: 'database password', pattern: /postgres(?:ql)?:\/\/[^\s:/@]+:[^\s@]+@/g },
]
/** Shorter recorded values would match by chance (and are no secret worth the name). */
const MIN_RECORDED_LENGTH = 8

const mask = (secret: string) => `${secret.slice(0, 4)}${'*'.repeat(Math.max(0, secret.length - 4))}`

/** Every secret in the `.log` files of `directory`, with where it is; none when the logs are clean. */
export function scanLogs(directory: string): Finding[] {
  const recordedFile = secretsFile(directory)
  const recorded = existsSync(recordedFile)
    ? [...new Set(readFileSync(recordedFile, 'utf8').split('\n'))].filter(
        (secret) => secret.length >= MIN_RECORDED_LENGTH,
      )
    : []
  const findings: Finding[] = []
  for (const file of logFiles(directory)) {
    const text = readFileSync(join(directory, file), 'utf8')
    // Whole files first: the soak's logs are megabytes and its list holds hundreds of one-time passwords.
    const inFile = recorded.filter((secret) => text.includes(secret))
    text.split('\n').forEach((line, index) => {
      const found = (kind: string, secret: string) =>
        findings.push({ file, line: index + 1, kind, masked: mask(secret) })
      for (const { kind, pattern } of SHAPES) for (const [match] of line.matchAll(pattern)) found(kind, match)
      for (const secret of inFile) if (line.includes(secret)) found('recorded secret', secret)
    })
  }
  return findings
}

/** The log files the scan reads. */
export const logFiles = (directory: string): string[] =>
  existsSync(directory) ? readdirSync(directory).filter((file) => file.endsWith('.log')) : []
