import type {
  AccessKey,
  CreateAccessKeyResponse,
  Destination,
  Grant,
  Group,
  LoginResponse,
  Provider,
  User,
} from '@infra/api-types'
import type * as db from '../generated/prisma/client.js'

const iso = (date: Date) => date.toISOString()
const isoOrNothing = (date: Date | null) => (date ? date.toISOString() : undefined)

export const toApiUser = (
  user: Pick<db.User, 'id' | 'name' | 'created' | 'updated' | 'lastSeenAt' | 'providerNames'>,
): User => ({
  id: user.id,
  name: user.name,
  created: iso(user.created),
  updated: iso(user.updated),
  lastSeenAt: isoOrNothing(user.lastSeenAt),
  providerNames: user.providerNames,
})

export const toApiGroup = (group: db.Group & { _count: { members: number } }): Group => ({
  id: group.id,
  name: group.name,
  created: iso(group.created),
  updated: iso(group.updated),
  totalUsers: group._count.members,
})

export const toApiGrant = (grant: Omit<db.Grant, 'destination'>): Grant => ({
  id: grant.id,
  created: iso(grant.created),
  createdBy: grant.createdBy,
  updated: iso(grant.updated),
  user: grant.userId ?? undefined,
  group: grant.groupId ?? undefined,
  privilege: grant.privilege,
  resource: grant.resource,
})

export const toApiProvider = (provider: db.Provider): Provider => ({
  id: provider.id,
  name: provider.name,
  created: iso(provider.created),
  updated: iso(provider.updated),
  url: provider.url,
  clientID: provider.clientID,
  kind: provider.kind as Provider['kind'],
  authURL: provider.authURL,
  scopes: provider.scopes,
})

export const toApiDestination = (destination: db.Destination, connectedWindowMs: number): Destination => ({
  id: destination.id,
  name: destination.name,
  uniqueID: destination.uniqueID,
  kind: destination.kind,
  version: destination.version,
  connection: { url: destination.connectionUrl, ca: destination.connectionCa },
  resources: destination.resources,
  roles: destination.roles,
  connected: destination.lastSeen !== null && Date.now() - destination.lastSeen.getTime() < connectedWindowMs,
  lastSeen: isoOrNothing(destination.lastSeen),
  created: iso(destination.created),
  updated: iso(destination.updated),
})

export const toApiAccessKey = (key: db.AccessKey & { user: { name: string } }): AccessKey => ({
  id: key.id,
  name: key.name,
  created: iso(key.created),
  expires: iso(key.expires),
  inactivityTimeout: iso(key.extensionDeadline),
  issuedFor: key.userId,
  issuedForName: key.user.name,
  lastUsed: isoOrNothing(key.lastUsed),
  providerID: key.providerId,
})

/** The new session key of a login, for the user it was issued to. */
export const toLoginResponse = (
  user: { id: string; name: string },
  key: Pick<CreateAccessKeyResponse, 'accessKey' | 'expires'>,
  passwordUpdateRequired?: true,
): LoginResponse => ({
  userID: user.id,
  name: user.name,
  accessKey: key.accessKey,
  expires: key.expires,
  passwordUpdateRequired,
})
