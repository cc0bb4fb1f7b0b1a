import type { SqlPool } from '../db/prisma.js'
import type { GrantFilters } from '../services/grants.js'

export const DESTINATIONS_SCOPE = 'destinations'

/** The change scopes (see the update_indexes table) whose changes can alter the answer to a grants query. */
export async function grantScopes(
  sql: SqlPool,
  filters: Pick<GrantFilters, 'user' | 'group' | 'destination' | 'showInherited'>,
): Promise<string[]> {
  const scopes: string[] = []
  if (filters.destination !== undefined) scopes.push(`destination:${filters.destination}`)
  if (filters.group !== undefined) scopes.push(`group:${filters.group}`)
  if (filters.user !== undefined) {
    scopes.push(`user:${filters.user}`)
    if (filters.showInherited) {
      const { rows } = await sql.query<{ group_id: string }>(
        'SELECT group_id FROM group_members WHERE user_id = $1',
        [filters.user],
      )
      scopes.push(...rows.map((row) => `group:${row.group_id}`))
    }
  }
  return scopes.length > 0 ? scopes : ['grants']
}
