import { expect, it } from '@jest/globals'
import type { Destination, Grant, InfraClient, Page, User } from '../src/index.js'

// Checked by `tsc` (pnpm typecheck), never run: each @ts-expect-error must meet a type error.
export async function typeChecks(client: InfraClient): Promise<void> {
  const self: User = await client.users.get('self')
  const page: Page<User> = await client.users.list({ limit: 10, showSystem: true })
  const all: User[] = await client.users.listAll({ name: self.name })
  for await (const grant of client.grants.iterate({ destination: 'prod' })) grant.privilege.toUpperCase()
  for await (const grants of client.grants.watch({ user: self.id })) grants satisfies Grant[]
  for await (const destinations of client.destinations.watch({ kind: 'kubernetes' })) {
    destinations satisfies Destination[]
  }
  const created = await client.grants.create({ user: 'self', privilege: 'view', resource: 'prod' })
  created.wasCreated satisfies boolean
  await client.grants.patch({ grantsToAdd: [{ group: self.id, privilege: 'edit', resource: 'prod' }] })
  await client.groups.updateUsers(self.id, { usersToAdd: [self.id] })
  await client.call('getVersion')
  await client.call('getUser', { params: { id: 'self' } }, { timeout: 1000 })
  await client.api.listUsers()
  await client.api.logout()
  void [page, all]

  // @ts-expect-error the ID is a string
  await client.users.get(123)
  // @ts-expect-error a user needs a name
  await client.users.create({})
  // @ts-expect-error unknown fields are not part of the body
  await client.users.create({ name: 'x', admin: true })
  // @ts-expect-error getUser needs its path parameters
  await client.call('getUser')
  // @ts-expect-error no such route
  await client.call('getEverything')
  // @ts-expect-error the version is a string
  const version: number = (await client.version()).version
  // @ts-expect-error createUser is not a list route
  client.paginate('createUser')
  // @ts-expect-error users are not long-polled
  client.watch('listUsers')
  // @ts-expect-error watch manages the paging and the index itself
  client.grants.watch({ lastUpdateIndex: 3 })
  // @ts-expect-error deletions answer nothing
  const nothing: string = await client.users.delete('4yJ3n3D8E2')
  void [version, nothing]
}

it('has its typings checked by tsc', () => {
  expect(typeof typeChecks).toBe('function')
})
