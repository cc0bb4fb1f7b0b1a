import { INFRA_RESOURCE, INFRA_ROLES, type InfraRole, type User } from '@infra/api-types'
import type { SqlPool } from '../db/prisma.js'
import { toApiUser } from '../services/serialize.js'
import type { KeyScope } from './caller.js'

/** Everything authentication needs about one access key, loaded in one query. */
export interface KnownKey {
  id: string
  keyId: string
  secretHash: Uint8Array
  userId: string
  userName: string
  scope: KeyScope
  expires: Date
  extensionDeadline: Date
  extensionMs: bigint
  roles: ReadonlySet<InfraRole>
  groupIds: readonly string[]
  /** The key's user as `GET /api/users/self` shows it. */
  profile: User
  loadedAt: number
}

interface KeyRow {
  id: string
  key_id: string
  secret_hash: Uint8Array
  user_id: string
  user_name: string
  scope: string
  expires: Date
  extension_deadline: Date
  extension_ms: string
  group_ids: string[]
  roles: string[]
  user_created: Date
  user_updated: Date
  user_last_seen_at: Date | null
  user_provider_names: string[]
}

/**
 * Keeps authenticated keys in memory so that a request costs no database query to authenticate. Entries are
 * dropped when the database announces a change to the key, its user or one of the user's groups (see the
 * notification triggers), when this process changes anything (see the route registrar), and after maxAgeMs
 * in any case, so a missed notification cannot keep a revoked key alive for long.
 */
export class CallerCache {
  private readonly keys = new Map<string, KnownKey>()
  private generation = 0

  constructor(
    private readonly sql: SqlPool,
    private readonly maxAgeMs: number,
  ) {}

  async get(keyId: string): Promise<KnownKey | undefined> {
    const cached = this.keys.get(keyId)
    if (cached && Date.now() - cached.loadedAt < this.maxAgeMs) return cached
    const generation = this.generation
    const loaded = await this.load(keyId)
    // A change announced while loading may not be in what was read: use it for this request, keep it not.
    if (loaded && generation === this.generation) this.keys.set(keyId, loaded)
    else this.keys.delete(keyId)
    return loaded
  }

  private async load(keyId: string): Promise<KnownKey | undefined> {
    const { rows } = await this.sql.query<KeyRow>(
      `SELECT k.id, k.key_id, k.secret_hash, k.user_id, u.name AS user_name, k.scope, k.expires,
              u.created AS user_created, u.updated AS user_updated, u.last_seen_at AS user_last_seen_at,
              u.provider_names AS user_provider_names,
              k.extension_deadline, k.extension_ms,
              ARRAY(SELECT group_id FROM group_members WHERE user_id = k.user_id) AS group_ids,
              ARRAY(SELECT DISTINCT privilege FROM grants
                    WHERE resource = $2
                      AND (user_id = k.user_id
                           OR group_id IN (SELECT group_id FROM group_members WHERE user_id = k.user_id))) AS roles
       FROM access_keys k JOIN users u ON u.id = k.user_id
       WHERE k.key_id = $1`,
      [keyId, INFRA_RESOURCE],
    )
    const row = rows[0]
    if (!row) return undefined
    return {
      id: row.id,
      keyId: row.key_id,
      secretHash: row.secret_hash,
      userId: row.user_id,
      userName: row.user_name,
      scope: row.scope as KeyScope,
      expires: row.expires,
      extensionDeadline: row.extension_deadline,
      extensionMs: BigInt(row.extension_ms),
      roles: new Set(
        row.roles.filter((role): role is InfraRole => (INFRA_ROLES as readonly string[]).includes(role)),
      ),
      groupIds: row.group_ids,
      profile: toApiUser({
        id: row.user_id,
        name: row.user_name,
        created: row.user_created,
        updated: row.user_updated,
        lastSeenAt: row.user_last_seen_at,
        providerNames: row.user_provider_names,
      }),
      loadedAt: Date.now(),
    }
  }

  /** Drops what a change to these scopes (`key:<keyID>`, `user:<id>`, `group:<id>`) may have made stale. */
  invalidate(scopes: readonly string[]): void {
    this.generation++
    for (const scope of scopes) {
      const [kind, id] = [scope.slice(0, scope.indexOf(':')), scope.slice(scope.indexOf(':') + 1)]
      if (kind === 'key') {
        this.keys.delete(id)
        continue
      }
      for (const [keyId, key] of this.keys) {
        if ((kind === 'user' && key.userId === id) || (kind === 'group' && key.groupIds.includes(id))) {
          this.keys.delete(keyId)
        }
      }
    }
  }

  clear(): void {
    this.generation++
    this.keys.clear()
  }
}
