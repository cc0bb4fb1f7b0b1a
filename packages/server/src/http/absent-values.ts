import type { z } from 'zod'

/**
 * Infra's own clients (its Go CLI and connector) send every field of a request, whether they mean it or not:
 * `?group=&page=0`, `"passwordCredentials": null`, `"groupName": ""`. Their server read such an empty value as
 * "not given", and so does this one. Only fields that may be left out are affected: an empty required field
 * still reaches validation and fails there, as before.
 */

type Schema = z.core.$ZodType

/** The schema that checks a value's structure, past the wrappers that only add defaults or absence. */
function structural(schema: Schema): Schema {
  let current = schema
  for (;;) {
    const def = current._zod.def
    if (
      def.type === 'optional' ||
      def.type === 'default' ||
      def.type === 'prefault' ||
      def.type === 'nullable' ||
      def.type === 'readonly'
    ) {
      current = (def as z.core.$ZodOptionalDef).innerType
    } else if (def.type === 'pipe') {
      current = (def as z.core.$ZodPipeDef).in
    } else {
      return current
    }
  }
}

const isEmpty = (value: unknown) => value === null || value === ''
const mayBeLeftOut = (schema: Schema) => schema._zod.optin !== undefined

/**
 * `value` as the route's schema should see it: keys the schema does not know are dropped (Infra's clients
 * send fields of other versions, e.g. a provider's `api`), and an empty value of an optional field is absent.
 */
export function withoutAbsentValues(schema: Schema, value: unknown): unknown {
  const shape = structural(schema)
  if (shape._zod.def.type === 'array' && Array.isArray(value)) {
    const element = (shape._zod.def as z.core.$ZodArrayDef).element
    return value.map((item) => withoutAbsentValues(element, item))
  }
  if (
    shape._zod.def.type !== 'object' ||
    typeof value !== 'object' ||
    value === null ||
    Array.isArray(value)
  ) {
    return value
  }
  const def = shape._zod.def as z.core.$ZodObjectDef
  // A schema with a catchall takes the keys it does not name as they are.
  const known: Record<string, unknown> = def.catchall ? { ...value } : {}
  for (const [key, field] of Object.entries(def.shape)) {
    if (!Object.hasOwn(value, key)) continue
    const item = (value as Record<string, unknown>)[key]
    if (isEmpty(item) && mayBeLeftOut(field)) delete known[key]
    else known[key] = withoutAbsentValues(field, item)
  }
  return known
}

/**
 * A query string as Express parsed it, with empty values (`?group=`, and the empty ones of a repeated
 * parameter) taken out, so that its schema sees them as absent.
 */
export function withoutEmptyParameters(query: Record<string, unknown>): Record<string, unknown> {
  const given: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(query)) {
    const kept = Array.isArray(value) ? value.filter((item) => item !== '') : value
    if (kept === '' || (Array.isArray(kept) && kept.length === 0)) continue
    given[key] = Array.isArray(kept) && kept.length === 1 ? kept[0] : kept
  }
  return given
}
