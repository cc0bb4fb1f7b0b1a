// `infra login --provider`: the browser login through a real OpenID Provider on loopback. The browser here is
// $BROWSER set to a script that fills in the provider's login page; e2e/ drives the same login in Chromium.
import { startOidcProvider, type TestIdentityProvider } from '@infra/test-harness/oidc'
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { fileURLToPath } from 'node:url'
import { run, sandbox, startTestServer, type Sandbox, type TestServer } from './helpers.js'

const FORM_BROWSER = fileURLToPath(new URL('./fixtures/form-browser.mjs', import.meta.url))

let t: TestServer
let idp: TestIdentityProvider
const boxes: Sandbox[] = []
const newBox = (env: Record<string, string>) => {
  const box = sandbox(env)
  boxes.push(box)
  return box
}

beforeAll(async () => {
  ;[t, idp] = await Promise.all([startTestServer(), startOidcProvider()])
  await t.api('POST', '/api/providers', {
    body: {
      name: 'test-idp',
      url: idp.issuer,
      clientID: idp.clientID,
      clientSecret: idp.clientSecret,
    },
  })
})

afterAll(async () => {
  for (const box of boxes) box.cleanup()
  await t?.close()
  await idp?.close()
})

describe('infra login --provider', () => {
  it('logs in through the browser as the provider’s user, with the provider’s groups', async () => {
    idp.accounts.set('grace', { email: 'grace@example.com', groups: ['browser-devs'] })
    const box = newBox({ BROWSER: FORM_BROWSER, TEST_IDP_LOGIN: 'grace' })
    const login = await run(['login', t.url, '--provider', 'test-idp'], box.env)
    expect(login.stderr).toContain('Log in to test-idp in your browser; if it does not open, visit:\n')
    expect(login.stderr).toContain('Logged in as grace@example.com')
    expect(login.code).toBe(0)

    const info = await run(['info'], box.env)
    expect(info.code).toBe(0)
    expect(info.stdout).toContain('grace@example.com')
    const groups = await t.api('GET', '/api/groups?name=browser-devs')
    expect(groups.items).toHaveLength(1)
  })

  it('says what went wrong when the provider refuses the server’s exchange of the code', async () => {
    await t.api('POST', '/api/providers', {
      body: {
        name: 'misconfigured-idp',
        url: idp.issuer,
        clientID: idp.clientID,
        clientSecret: 'not-the-secret',
      },
    })
    idp.accounts.set('hopper', { email: 'hopper@example.com', groups: [] })
    const box = newBox({ BROWSER: FORM_BROWSER, TEST_IDP_LOGIN: 'hopper' })
    const login = await run(['login', t.url, '--provider', 'misconfigured-idp'], box.env)
    expect(login.code).toBe(1)
    expect(login.stderr).toMatch(/error: the identity provider refused the login: .*invalid_client/)
  })
})
