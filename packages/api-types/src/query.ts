import { z } from 'zod'
import { Id } from './primitives.js'

/** Documents a lenient query schema as the plain type a caller should send. */
function documentedAs(schema: Record<string, unknown>) {
  return ({ jsonSchema }: { jsonSchema: Record<string, unknown> }) => {
    for (const key of Object.keys(jsonSchema)) delete jsonSchema[key]
    for (const [key, value] of Object.entries(schema)) if (value !== undefined) jsonSchema[key] = value
  }
}

/**
 * Query strings arrive as text while SDK callers pass real numbers and booleans,
 * so each query schema accepts both and outputs the parsed value.
 */
export function queryInt(bounds: { min: number; max?: number }) {
  let target = z.number().int().min(bounds.min)
  if (bounds.max !== undefined) target = target.max(bounds.max)
  return z
    .union([
      z.number(),
      z
        .string()
        .regex(/^-?\d+$/, 'must be an integer')
        .transform(Number),
    ])
    .pipe(target)
    .meta({ override: documentedAs({ type: 'integer', minimum: bounds.min, maximum: bounds.max }) })
}

export const queryBoolean = z
  .union([z.boolean(), z.enum(['true', 'false', '1', '0'])])
  .transform((value) => value === true || value === 'true' || value === '1')
  .meta({ override: documentedAs({ type: 'boolean' }) })

/** A repeated parameter (`ids=a&ids=b`) arrives as an array, a single one as a string. */
export const queryIdList = z
  .union([Id, z.array(Id).max(1000)])
  .transform((value) => (Array.isArray(value) ? value : [value]))

export const MAX_PAGE_LIMIT = 1000
export const DEFAULT_PAGE_LIMIT = 100

/** Infra's clients send every field, 0 for a page or limit they leave to the server: 0 stands for the default. */
function pageField(fallback: number, max: number) {
  return queryInt({ min: 0, max })
    .transform((value) => value || fallback)
    .optional()
    .default(fallback)
}

export const PaginationQuery = z.object({
  page: pageField(1, 1_000_000),
  limit: pageField(DEFAULT_PAGE_LIMIT, MAX_PAGE_LIMIT),
})

/** Present on the few list routes that support long polling. */
export const LongPollQuery = z.object({
  lastUpdateIndex: queryInt({ min: 0 }).optional(),
})

export function paginated<T extends z.ZodType>(item: T) {
  return z.object({
    page: z.number().int(),
    limit: z.number().int(),
    totalPages: z.number().int(),
    totalCount: z.number().int(),
    count: z.number().int().describe('number of items in this page'),
    items: z.array(item),
  })
}

export interface Page<T> {
  page: number
  limit: number
  totalPages: number
  totalCount: number
  count: number
  items: T[]
}
