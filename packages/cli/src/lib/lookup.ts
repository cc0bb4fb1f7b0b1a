import type { Group, InfraClient, User } from '@infra/client-sdk'
import { CliError } from './context.js'

export async function findUser(client: InfraClient, name: string): Promise<User | undefined> {
  const page = await client.users.list({ name, showSystem: true, limit: 1 })
  return page.items[0]
}

export async function requireUser(client: InfraClient, name: string): Promise<User> {
  const user = await findUser(client, name)
  if (!user) throw new CliError(`unknown user "${name}"`, 'see infra users list')
  return user
}

export async function findGroup(client: InfraClient, name: string): Promise<Group | undefined> {
  const page = await client.groups.list({ name, limit: 1 })
  return page.items[0]
}

export async function requireGroup(client: InfraClient, name: string): Promise<Group> {
  const group = await findGroup(client, name)
  if (!group) throw new CliError(`unknown group "${name}"`, 'see infra groups list')
  return group
}
