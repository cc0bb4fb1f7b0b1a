import { z } from 'zod'
import { DestinationName, Id, Timestamp } from '../primitives.js'
import { LongPollQuery, PaginationQuery } from '../query.js'
import { INFRA_RESOURCE } from '../resource.js'

export const DestinationConnection = z.object({
  url: z.string().max(2048).describe('Where users reach the destination (host:port or URL)'),
  ca: z.string().max(65536).describe('PEM certificate users must trust for the destination'),
})

export const Destination = z
  .object({
    id: Id,
    name: z.string(),
    uniqueID: z.string(),
    kind: z.string(),
    version: z.string(),
    connection: DestinationConnection,
    resources: z.array(z.string()),
    roles: z.array(z.string()),
    connected: z.boolean(),
    lastSeen: Timestamp.optional(),
    created: Timestamp,
    updated: Timestamp,
  })
  .meta({ id: 'Destination' })
export type Destination = z.infer<typeof Destination>

export const ListDestinationsQuery = PaginationQuery.extend(LongPollQuery.shape).extend({
  name: z.string().optional(),
  kind: z.string().optional(),
  unique_id: z.string().optional(),
})
export type ListDestinationsQuery = z.input<typeof ListDestinationsQuery>

/** The name of a destination a connector registers: any destination name but the reserved `infra`. */
export const RegisteredDestinationName = DestinationName.refine(
  (name) => name !== INFRA_RESOURCE,
  '"infra" is reserved',
)

export const DestinationRequest = z.object({
  name: RegisteredDestinationName,
  uniqueID: z.string().min(1).max(256),
  kind: z.enum(['kubernetes']).optional().default('kubernetes'),
  version: z.string().max(64).optional().default(''),
  connection: DestinationConnection.optional().default({ url: '', ca: '' }),
  resources: z.array(z.string().min(1).max(253)).max(10000).optional().default([]),
  roles: z.array(z.string().min(1).max(253)).max(10000).optional().default([]),
})
export type DestinationRequest = z.input<typeof DestinationRequest>
