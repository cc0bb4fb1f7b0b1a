import type { Database } from '../db/prisma.js'

export const DESTINATIONS_SCOPE = 'destinations'

/** The change scopes (see the update_indexes table) whose changes can alter the answer to a grants query. */
export async function grantScopes(
  db: Database,
  filters: { user?: string; group?: string; destination?: string; showInherited?: boolean },
): Promise<string[]> {
  const scopes: string[] = []
  if (filters.destination !== undefined) scopes.push(`destination:${filters.destination}`)
  if (filters.group !== undefined) scopes.push(`group:${filters.group}`)
  if (filters.user !== undefined) {
    scopes.push(`user:${filters.user}`)
    if (filters.showInherited) {
      const memberships = await db.groupMember.findMany({
        where: { userId: filters.user },
        select: { groupId: true },
      })
      scopes.push(...memberships.map((membership) => `group:${membership.groupId}`))
    }
  }
  return scopes.length > 0 ? scopes : ['grants']
}
