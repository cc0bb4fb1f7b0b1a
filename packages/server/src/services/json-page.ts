import type { Page } from '@infra/api-types'
import type { SqlPool } from '../db/prisma.js'
import { pageHeader, type PageRequest } from './pagination.js'

/** An answer already written as JSON, of the shape `T`: sent as it is, never turned into objects on the way. */
export class JsonText<T> {
  declare readonly shape: T
  constructor(readonly text: string) {}
}

/** A value as JSON text, unless it already is. */
export const asJsonText = <T>(value: T | JsonText<T>): JsonText<T> =>
  value instanceof JsonText ? value : new JsonText<T>(JSON.stringify(value))

/**
 * The SQL expression Postgres writes each field of an API shape with, in the order the shape's objects list
 * their fields (so the text is what JSON.stringify of that object gives). A NULL leaves the field out.
 */
export type JsonFields<T> = { [K in keyof Required<T>]: string }

/** A `timestamptz(3)` column as Date.prototype.toISOString writes it. */
export const isoTimestamp = (column: string) =>
  `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`

export const jsonObject = (fields: Record<string, string>) =>
  `json_build_object(${Object.entries(fields)
    .map(([name, expression]) => `'${name}', ${expression}`)
    .join(', ')})`

export interface PageQuery<T> {
  /** `table alias`, and any joins. */
  from: string
  where: string
  params: unknown[]
  orderBy: string
  fields: JsonFields<T>
}

/**
 * One page and its total in one round trip, with Postgres writing the JSON: a 1,000-item page costs this process
 * one string, so a big answer neither takes its CPU from other requests nor holds up its event loop, and the
 * work lands on Postgres' backends, which use every core.
 */
export async function listPage<T>(
  sql: SqlPool,
  query: PageQuery<T>,
  request: PageRequest,
): Promise<JsonText<Page<T>>> {
  const { page, limit } = request
  const { from, where, params, orderBy } = query
  const { rows } = await sql.query<{ total: string | null; count: number; items: string }>(
    `WITH page AS (
       SELECT json_strip_nulls(${jsonObject(query.fields)}) AS item,
              row_number() OVER (ORDER BY ${orderBy}) AS position, count(*) OVER () AS total
       FROM ${from} WHERE ${where}
       ORDER BY ${orderBy}
       LIMIT ${limit} OFFSET ${(page - 1) * limit})
     SELECT max(total) AS total, count(*)::int AS count,
            coalesce(json_agg(item ORDER BY position), '[]')::text AS items
     FROM page`,
    params,
  )
  const row = rows[0] ?? { total: null, count: 0, items: '[]' }
  let total = Number(row.total ?? 0)
  if (row.total === null && page > 1) {
    // Past the last page the window count has no row to ride on.
    const counted = await sql.query<{ n: string }>(`SELECT count(*) AS n FROM ${from} WHERE ${where}`, params)
    total = Number(counted.rows[0]?.n ?? 0)
  }
  const header = JSON.stringify(pageHeader(row.count, total, request))
  return new JsonText(`${header.slice(0, -1)},"items":${row.items}}`)
}

/** Collects the conditions and parameters of a WHERE clause. */
export class Conditions {
  readonly params: unknown[] = []
  readonly #conditions: string[] = []

  /** `$n` standing for `value`. */
  param(value: unknown): string {
    return `$${this.params.push(value)}`
  }

  add(condition: string): void {
    this.#conditions.push(condition)
  }

  get where(): string {
    return this.#conditions.length > 0 ? this.#conditions.join(' AND ') : 'TRUE'
  }
}
