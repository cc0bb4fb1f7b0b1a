// The connector keeps the names of the users and groups its grants name, and only those: over months of people
// coming and going, what it holds stays the size of its grants.
import type { Grant } from '@infra/api-types'
import type { InfraClient } from '@infra/client-sdk'
import { describe, expect, it } from '@jest/globals'
import { NameResolver } from '../src/grants/names.js'

/** A client that knows every user and group, and counts the lookups. */
function countingClient() {
  const asked = { users: [] as string[][], groupListings: 0 }
  // Plain generators: `for await` takes them as it takes the SDK's pages.
  function* users({ ids }: { ids: string[] }) {
    asked.users.push(ids)
    yield* ids.map((id) => ({ id, name: `user-${id}` }))
  }
  function* groups() {
    asked.groupListings++
    yield* ['g1', 'g2'].map((id) => ({ id, name: `group-${id}` }))
  }
  const client = { users: { iterate: users }, groups: { iterate: groups } } as unknown as InfraClient
  return { client, asked }
}

const grant = (subject: { user: string } | { group: string }) =>
  ({ id: 'x', privilege: 'view', resource: 'dev', ...subject }) as unknown as Grant

describe('NameResolver', () => {
  it('resolves each name once while grants name it, and forgets it when none does', async () => {
    const { client, asked } = countingClient()
    const resolver = new NameResolver(client)
    const signal = new AbortController().signal
    const names = await resolver.resolve([grant({ user: 'u1' }), grant({ group: 'g1' })], signal)
    expect(names).toEqual({ users: new Map([['u1', 'user-u1']]), groups: new Map([['g1', 'group-g1']]) })
    await resolver.resolve([grant({ user: 'u1' }), grant({ group: 'g1' })], signal)
    expect(asked).toEqual({ users: [['u1']], groupListings: 1 })

    // The grants are gone: so are the names, which are looked up again if a grant names them once more.
    await resolver.resolve([], signal)
    await resolver.resolve([grant({ user: 'u1' }), grant({ group: 'g1' })], signal)
    expect(asked).toEqual({ users: [['u1'], ['u1']], groupListings: 2 })
  })
})
