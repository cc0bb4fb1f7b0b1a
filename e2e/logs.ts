// Every program e2e starts (server, connector, CLI, the agent) leaves what it printed in a file under one run
// directory, and the tests record there the secrets they handled, so that after the whole run (tests, faults,
// soak) `pnpm --filter @infra/e2e scan-logs` can prove that no program wrote one (see scan/logs.test.ts).
import { appendFileSync, copyFileSync, existsSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

/** The run directory: `e2e/.logs` (gitignored), or `INFRA_E2E_LOG_DIR`. */
export const logDirectory = (): string =>
  process.env.INFRA_E2E_LOG_DIR ?? fileURLToPath(new URL('.logs', import.meta.url))

/** The exact secrets of the run, one a line; not a `.log` file, so the scan reads it but never scans it. */
export const secretsFile = (directory: string): string => join(directory, 'secrets.list')

let files = 0

/** A new log file for the program `name`, unique across jest workers and runs. */
export function newLogFile(name: string): string {
  const directory = logDirectory()
  mkdirSync(directory, { recursive: true })
  const slug = name.replace(/[^A-Za-z0-9]+/g, '-').replace(/^-|-$/g, '')
  return join(directory, `${slug}-${Date.now()}-${process.pid}-${++files}.log`)
}

/**
 * Adds secrets the tests created or handed out (passwords, client secrets, refresh tokens) to the run's list.
 * Access keys and JWTs are also found by their shape.
 */
export function recordSecrets(...secrets: string[]): void {
  const lines = secrets.filter((secret) => secret.trim() !== '' && !secret.includes('\n'))
  if (lines.length === 0) return
  const directory = logDirectory()
  mkdirSync(directory, { recursive: true })
  appendFileSync(secretsFile(directory), lines.map((line) => `${line}\n`).join(''))
}

/** Keeps copies of log files a program wrote somewhere about to be removed (e.g. the agent's, in a home). */
export function keepLogs(name: string, paths: string[]): void {
  for (const path of paths) if (existsSync(path)) copyFileSync(path, newLogFile(name))
}
