import { z } from 'zod'

/**
 * The API version this contract describes; clients send it as the `Infra-Version` header. It moves when a shape
 * changes (the older one then becomes an `OlderShape` of its routes), not with every release: 0.22.0 is the
 * first release after Infra's own v0.21.0, whose clients send 0.18.1 or 0.16.2.
 */
export const API_VERSION = '0.22.0'
export const INFRA_VERSION_HEADER = 'Infra-Version'
export const LAST_UPDATE_INDEX_HEADER = 'Last-Update-Index'

export const BASE58_ALPHABET = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz'

/** IDs are a 64-bit time-ordered number written in base58: at most 11 characters. */
export const Id = z
  .string()
  .regex(/^[1-9A-HJ-NP-Za-km-z]{1,11}$/, 'must be a base58 ID')
  .meta({ id: 'ID', description: 'A short base58 identifier', example: '4yJ3n3D8E2' })
export type Id = z.infer<typeof Id>

/** `self` stands for the caller wherever a user ID is accepted. */
export const UserRef = z.union([Id, z.literal('self')])
export type UserRef = z.infer<typeof UserRef>

export const Timestamp = z.iso
  .datetime({ offset: true })
  .meta({ id: 'Timestamp', description: 'An RFC 3339 date-time', example: '2022-03-14T09:48:00Z' })

// Control characters (Unicode category Cc: U+0000-U+001F and U+007F-U+009F) spelled out rather than as \p{Cc},
// which the OpenAPI document carries as a pattern that tools outside JavaScript (e.g. Python's re) cannot read.
// eslint-disable-next-line no-control-regex
const NO_CONTROL = /^[^\u0000-\u001f\u007f-\u009f]+$/
// eslint-disable-next-line no-control-regex
const NO_WHITESPACE_OR_CONTROL = /^[^\s\u0000-\u001f\u007f-\u009f]+$/

/**
 * Kubernetes' own users and groups (`system:masters`, `system:kube-scheduler`, …) begin with `system:`; an Infra
 * user or group by such a name would be one of them in every cluster, so none may be made, in any letter case.
 */
export const RESERVED_NAME_PREFIX = 'system:'
// Spelled letter by letter rather than with the `i` flag, which the OpenAPI document's pattern cannot carry.
const NOT_RESERVED = /^(?!\s*[Ss][Yy][Ss][Tt][Ee][Mm]:)/
export const isReservedName = (name: string): boolean => !NOT_RESERVED.test(name)
const RESERVED_MESSAGE = `must not begin with "${RESERVED_NAME_PREFIX}" (reserved for Kubernetes)`

/** A name a person picks for a user: an email address or a plain login name. */
export const UserName = z
  .string()
  .trim()
  .min(1, 'must not be empty')
  .max(256, 'must be at most 256 characters')
  .regex(NO_WHITESPACE_OR_CONTROL, 'must not contain whitespace or control characters')
  .regex(NOT_RESERVED, RESERVED_MESSAGE)

export const GroupName = z
  .string()
  .trim()
  .min(1, 'must not be empty')
  .max(256, 'must be at most 256 characters')
  .regex(NO_CONTROL, 'must not contain control characters')
  .regex(NOT_RESERVED, RESERVED_MESSAGE)

/** Destination names appear in resource notation, so they cannot contain the `.` separator. */
export const DestinationName = z
  .string()
  .min(1, 'must not be empty')
  .max(253, 'must be at most 253 characters')
  .regex(/^[A-Za-z0-9_-]+$/, 'may contain only letters, digits, "-" and "_"')

export const Password = z
  .string()
  .min(8, 'must be at least 8 characters')
  .max(256, 'must be at most 256 characters')

/** A Go-style duration such as `12h`, `30m` or `720h0m0s`, or days such as `30d`. */
export const Duration = z
  .string()
  .regex(/^(\d+(\.\d+)?(d|h|m|s|ms))+$/, 'must be a duration such as "30d", "12h", "30m" or "720h0m0s"')
  .meta({ description: 'A duration such as 30d, 12h, 30m or 720h0m0s', example: '720h' })
