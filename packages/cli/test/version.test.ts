import { API_VERSION } from '@infra/api-types'
import { describe, expect, it } from '@jest/globals'
import { buildCli } from '../src/index.js'

describe('infra version', () => {
  it('prints the client and API versions', async () => {
    let printed = ''
    await buildCli(['version'], { write: (text) => (printed += text) }).parseAsync()
    expect(printed).toMatch(/^Client: \d+\.\d+\.\d+\n/)
    expect(printed).toContain(`API:    ${API_VERSION}`)
  })
})
