// The log secret scan finds what it must: a secret planted in a log of a run directory makes `pnpm scan-logs`
// fail, naming the file and the kind of secret without printing the secret itself.
import { randomAccessKey, run } from '@infra/test-harness'
import { afterAll, describe, expect, it } from '@jest/globals'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { scanLogs } from './log-scan.js'
import { secretsFile } from './logs.js'

const directories: string[] = []
/** A run directory holding these log files and this list of recorded secrets. */
function runDirectory(logs: Record<string, string>, recorded: string[] = []): string {
  const directory = mkdtempSync(join(tmpdir(), 'infra-e2e-scan-'))
  directories.push(directory)
  for (const [file, text] of Object.entries(logs)) writeFileSync(join(directory, file), text)
  writeFileSync(secretsFile(directory), recorded.map((secret) => `${secret}\n`).join(''))
  return directory
}
afterAll(() => {
  for (const directory of directories) rmSync(directory, { recursive: true, force: true })
})

const password = 'correct horse battery staple'
const jwt =
  'eyJhbGciOiJFUzI1NiIsImtpZCI6IjEifQ.eyJuYW1lIjoiYWxpY2UiLCJhdWQiOiJkZXYifQ.c2lnbmF0dXJlLW9mLXRoZS10b2tlbg'
const clean = {
  'infra-server-1.log': '{"level":30,"msg":"request","path":"/api/tokens","status":201}\n',
  // An access key's ID alone is no secret; the fingerprint is public.
  'infra-connector-1.log': '{"msg":"authenticated","keyID":"AbCdEfGhIj","fingerprint":"AB:CD:EF"}\n',
}

describe('the log secret scan', () => {
  it('passes clean logs, and finds access keys and JWTs by shape and recorded secrets exactly', () => {
    expect(scanLogs(runDirectory(clean, [password]))).toEqual([])
    const key = randomAccessKey()
    const findings = scanLogs(
      runDirectory(
        {
          ...clean,
          'cli-alice-1.log': `$ infra login (exit 0)\nusing key ${key}\n`,
          'infra-connector-2.log': `first\n{"msg":"refused","authorization":"Bearer ${jwt}"}\n`,
          'agent-alice-1.log': `{"msg":"login failed","password":"${password}"}\n`,
          'infra-server-2.log': 'could not connect to postgresql://postgres:postgres@127.0.0.1:5432/infra\n',
        },
        [password, 'short'],
      ),
    )
    expect(findings).toEqual(
      expect.arrayContaining([
        {
          file: 'cli-alice-1.log',
          line: 2,
          kind: 'access key',
          masked: `${key.slice(0, 4)}${'*'.repeat(31)}`,
        },
        { file: 'infra-connector-2.log', line: 2, kind: 'JWT', masked: expect.stringMatching(/^eyJh\*+$/) },
        {
          file: 'agent-alice-1.log',
          line: 1,
          kind: 'recorded secret',
          masked: expect.stringMatching(/^corr\*+$/),
        },
        {
          file: 'infra-server-2.log',
          line: 1,
          kind: 'database password',
          masked: expect.stringMatching(/^post\*+$/),
        },
      ]),
    )
    expect(findings).toHaveLength(4)
  })

  it('fails `pnpm scan-logs` on a planted secret, and passes it on clean logs', async () => {
    const e2e = fileURLToPath(new URL('.', import.meta.url))
    const scan = (directory: string) =>
      run('pnpm', ['--dir', e2e, 'scan-logs'], { env: { ...process.env, INFRA_E2E_LOG_DIR: directory } })

    const key = randomAccessKey()
    const planted = await scan(runDirectory({ ...clean, 'infra-server-2.log': `{"accessKey":"${key}"}\n` }))
    expect(planted.code).not.toBe(0)
    expect(planted.stdout + planted.stderr).toContain(`infra-server-2.log:1: access key ${key.slice(0, 4)}`)
    expect(planted.stdout + planted.stderr).not.toContain(key)

    expect((await scan(runDirectory(clean))).code).toBe(0)
  })
})
