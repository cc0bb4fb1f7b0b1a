// Kubernetes' own users and groups are named `system:*` (`system:masters` is every cluster's admins): no Infra
// user or group may be made by such a name, in any letter case, so none can be granted anything by one.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { startTestServer, uniqueName, type TestServer } from './harness.js'
import { expectFieldErrors } from './helpers.js'

let t: TestServer

beforeAll(async () => {
  t = await startTestServer()
})

afterAll(() => t.close())

const RESERVED = ['system:masters', 'System:Masters', 'SYSTEM:kube-scheduler', '  system:masters', 'system:']

describe('names beginning with system:', () => {
  it.each(RESERVED)('are refused for users and groups: %p', async (name) => {
    const user = await t.request('POST', '/api/users', { body: { name } })
    // A user name has no spaces anyway; the reserved prefix is said whether or not it has them.
    expectFieldErrors(user, ['name'])
    expect(user.body.fieldErrors[0].errors).toContain(
      'must not begin with "system:" (reserved for Kubernetes)',
    )
    const group = await t.request('POST', '/api/groups', { body: { name } })
    expectFieldErrors(group, ['name'])
    expect(group.body.fieldErrors).toEqual([
      { fieldName: 'name', errors: ['must not begin with "system:" (reserved for Kubernetes)'] },
    ])
  })

  it('are refused where a grant names its user or group', async () => {
    const grant = { privilege: 'view', resource: 'dev' }
    expectFieldErrors(
      await t.request('POST', '/api/grants', { body: { ...grant, groupName: 'System:masters' } }),
      ['groupName'],
    )
    expectFieldErrors(
      await t.request('POST', '/api/grants', { body: { ...grant, userName: 'system:admin' } }),
      ['userName'],
    )
    expectFieldErrors(
      await t.request('PATCH', '/api/grants', {
        body: { grantsToAdd: [{ ...grant, groupName: 'system:authenticated' }] },
      }),
      ['grantsToAdd.0.groupName'],
    )
    const listed = await t.request('GET', '/api/grants', { query: { resource: 'dev' } })
    expect(listed.body.items).toEqual([])
  })

  it('are only a prefix: a name containing system: elsewhere is an ordinary name', async () => {
    const name = uniqueName('team-system:')
    expect((await t.request('POST', '/api/groups', { body: { name } })).status).toBe(201)
    expect((await t.request('POST', '/api/users', { body: { name: `not-${name}` } })).status).toBe(201)
  })
})
