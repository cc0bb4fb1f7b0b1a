// `pnpm --filter @infra/e2e scan-logs`, run by .ci/run after the tests, the fault suite and the soak: no log file a
// program of theirs wrote (server, connector, CLI, agent) holds a secret. log-scan.test.ts proves it can fail.
import { describe, expect, it } from '@jest/globals'
import { logFiles, scanLogs } from '../log-scan.js'
import { logDirectory } from '../logs.js'

describe('the logs of the whole e2e run', () => {
  it('hold no access key, JWT, password, client secret or refresh token', () => {
    const directory = logDirectory()
    expect(logFiles(directory).length).toBeGreaterThan(0)
    const findings = scanLogs(directory).map(
      ({ file, line, kind, masked }) => `${file}:${line}: ${kind} ${masked}`,
    )
    expect(findings).toEqual([])
  })
})
