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
import { isoTimestamp, jsonObject, type JsonFields } from './json-page.js'

// Each shape twice: as an object from a Prisma row (single answers), and as the SQL with which Postgres writes the
// same JSON text for list pages (fields in the same order). A test compares the two for every listed shape.

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

/** Of `users u`. */
export const userJson: JsonFields<User> = {
  id: 'u.id',
  name: 'u.name',
  created: isoTimestamp('u.created'),
  updated: isoTimestamp('u.updated'),
  lastSeenAt: isoTimestamp('u.last_seen_at'),
  providerNames: 'u.provider_names',
}

export const toApiGroup = (group: db.Group & { _count: { members: number } }): Group => ({
  id: group.id,
  name: group.name,
  created: iso(group.created),
  updated: iso(group.updated),
  totalUsers: group._count.members,
})

/** Of `groups g`. */
export const groupJson: JsonFields<Group> = {
  id: 'g.id',
  name: 'g.name',
  created: isoTimestamp('g.created'),
  updated: isoTimestamp('g.updated'),
  totalUsers: '(SELECT count(*) FROM group_members m WHERE m.group_id = g.id)',
}

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

/** Of `grants g`. */
export const grantJson: JsonFields<Grant> = {
  id: 'g.id',
  created: isoTimestamp('g.created'),
  createdBy: 'g.created_by',
  updated: isoTimestamp('g.updated'),
  user: 'g.user_id',
  group: 'g.group_id',
  privilege: 'g.privilege',
  resource: 'g.resource',
}

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

/** Of `destinations d`. */
export const destinationJson = (connectedWindowMs: number): JsonFields<Destination> => ({
  id: 'd.id',
  name: 'd.name',
  uniqueID: 'd.unique_id',
  kind: 'd.kind',
  version: 'd.version',
  connection: jsonObject({ url: 'd.connection_url', ca: 'd.connection_ca' }),
  resources: 'd.resources',
  roles: 'd.roles',
  connected: `(d.last_seen IS NOT NULL AND d.last_seen > now() - ${Math.trunc(connectedWindowMs)} * interval '1 millisecond')`,
  lastSeen: isoTimestamp('d.last_seen'),
  created: isoTimestamp('d.created'),
  updated: isoTimestamp('d.updated'),
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

/** Of `access_keys k JOIN users u ON u.id = k.user_id`. */
export const accessKeyJson: JsonFields<AccessKey> = {
  id: 'k.id',
  name: 'k.name',
  created: isoTimestamp('k.created'),
  expires: isoTimestamp('k.expires'),
  inactivityTimeout: isoTimestamp('k.extension_deadline'),
  issuedFor: 'k.user_id',
  issuedForName: 'u.name',
  lastUsed: isoTimestamp('k.last_used'),
  providerID: 'k.provider_id',
}

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
