import type { RouteName } from '@infra/api-types'
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { startTestServer, uniqueName, type TestServer } from './harness.js'
import { expectConforms, expectFieldErrors, idsOf, walkPages, type Page } from './helpers.js'

const N = 23

let t: TestServer
let holder: string

beforeAll(async () => {
  t = await startTestServer()
  holder = (await t.request('POST', '/api/users', { body: { name: uniqueName('holder') } })).body.id
  const created = (path: string, body: () => unknown) =>
    Promise.all(
      Array.from({ length: N }, async () => {
        const response = await t.request('POST', path, { body: body() })
        if (response.status !== 201) throw new Error(`setup ${path}: ${JSON.stringify(response.body)}`)
      }),
    )
  await created('/api/users', () => ({ name: uniqueName('page-user') }))
  await created('/api/groups', () => ({ name: uniqueName('page-group') }))
  await created('/api/grants', () => ({ user: holder, privilege: 'view', resource: uniqueName('res') }))
  await created('/api/destinations', () => ({ name: uniqueName('dest'), uniqueID: 'u' }))
  await created('/api/providers', () => ({
    name: uniqueName('idp'),
    url: 'x.example.com',
    clientID: 'c',
    clientSecret: 's',
  }))
  await created('/api/access-keys', () => ({ userID: holder }))
})

afterAll(() => t.close())

const lists: [RouteName, string, Record<string, string>][] = [
  ['listUsers', '/api/users', {}],
  ['listGroups', '/api/groups', {}],
  ['listGrants', '/api/grants', {}],
  ['listDestinations', '/api/destinations', {}],
  ['listProviders', '/api/providers', {}],
  ['listAccessKeys', '/api/access-keys', {}],
  ['listGrants', '/api/grants', { user: 'HOLDER' }],
  ['listAccessKeys', '/api/access-keys', { userID: 'HOLDER' }],
]

describe.each(lists)('%s %s %p', (name, path, rawQuery) => {
  const query = () =>
    Object.fromEntries(
      Object.entries(rawQuery).map(([key, value]) => [key, value === 'HOLDER' ? holder : value]),
    )

  it('defaults to page 1 of 100 and counts everything', async () => {
    const body = expectConforms<Page<{ id: string }>>(name, await t.request('GET', path, { query: query() }))
    expect(body.page).toBe(1)
    expect(body.limit).toBe(100)
    expect(body.totalCount).toBeGreaterThanOrEqual(N)
    expect(body.count).toBe(body.totalCount)
    expect(body.items).toHaveLength(body.totalCount)
    expect(body.totalPages).toBe(1)
  })

  it.each([1, 5, 7, 1000])(
    'walks every page of %i in a stable order, without duplicates or gaps',
    async (limit) => {
      const everything = expectConforms<Page<{ id: string }>>(
        name,
        await t.request('GET', path, { query: { ...query(), limit: 1000 } }),
      ).items
      const walked = await walkPages(t, name, limit, { query: query() })
      expect(idsOf(walked)).toEqual(idsOf(everything))
      expect(new Set(idsOf(walked)).size).toBe(walked.length)
    },
  )

  it('answers a page past the end with no items and the true totals', async () => {
    const body = expectConforms<Page<{ id: string }>>(
      name,
      await t.request('GET', path, { query: { ...query(), page: 50, limit: 10 } }),
    )
    expect(body).toMatchObject({ page: 50, limit: 10, count: 0, items: [] })
    expect(body.totalPages).toBe(Math.ceil(body.totalCount / 10))
  })

  it('takes limits up to 1000 and no more', async () => {
    expect((await t.request('GET', path, { query: { ...query(), limit: 1000 } })).body.limit).toBe(1000)
    expectFieldErrors(await t.request('GET', path, { query: { ...query(), limit: 1001 } }), ['limit'])
    expectFieldErrors(await t.request('GET', path, { query: { ...query(), page: -1 } }), ['page'])
  })
})

it('counts only what the filters match', async () => {
  const grants = expectConforms<Page<{ id: string }>>(
    'listGrants',
    await t.request('GET', '/api/grants', { query: { user: holder, limit: 10, page: 3 } }),
  )
  expect(grants).toMatchObject({ totalCount: N, totalPages: 3, count: N - 20 })
  const keys = expectConforms<Page<{ id: string }>>(
    'listAccessKeys',
    await t.request('GET', '/api/access-keys', { query: { userID: holder, limit: 20, page: 2 } }),
  )
  expect(keys).toMatchObject({ totalCount: N, totalPages: 2, count: N - 20 })
})
