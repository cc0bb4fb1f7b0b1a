import { withClient } from './database.js'

/** Bench ids: digits spelled without 0, which ids never contain. */
export const benchUserId = (n: number) => `bu${String(n).replaceAll('0', 'z')}`

/**
 * `users` users each in two of `groups` groups, and `grants` grants: 90% to users, 10% to groups, spread over
 * 50 destinations (`cluster0` … `cluster49`) and their namespaces.
 */
export async function seedGrants(databaseUrl: string, users: number, grants: number, groups: number) {
  await withClient(databaseUrl, async (client) => {
    // No triggers: each inserted row would bump the shared change index, quadratic over 100,000 rows in one
    // statement (tens of minutes), and no server listens while the bench seeds.
    await client.query(`SET session_replication_role = replica`)
    await client.query(
      `INSERT INTO users (id, name, updated) SELECT 'bu' || translate(i::text, '0', 'z'), 'bench-user-' || i || '@example.com', now() FROM generate_series(1, $1) AS i`,
      [users],
    )
    await client.query(
      `INSERT INTO groups (id, name, updated) SELECT 'bg' || translate(i::text, '0', 'z'), 'bench-group-' || i, now() FROM generate_series(1, $1) AS i`,
      [groups],
    )
    await client.query(
      `INSERT INTO group_members (group_id, user_id) SELECT 'bg' || translate((1 + (i % $2))::text, '0', 'z'), 'bu' || translate(i::text, '0', 'z') FROM generate_series(1, $1) AS i
                        UNION SELECT 'bg' || translate((1 + ((i * 7) % $2))::text, '0', 'z'), 'bu' || translate(i::text, '0', 'z') FROM generate_series(1, $1) AS i`,
      [users, groups],
    )
    await client.query(
      `INSERT INTO grants (id, user_id, group_id, privilege, resource, destination, created_by, updated)
       SELECT 'bgr' || i,
              CASE WHEN i % 10 <> 0 THEN 'bu' || translate((1 + (i % $2))::text, '0', 'z') END,
              CASE WHEN i % 10 = 0 THEN 'bg' || translate((1 + (i % $3))::text, '0', 'z') END,
              (ARRAY['view', 'edit', 'admin', 'logs'])[1 + (i % 4)],
              'cluster' || (i % 50) || '.ns' || i,
              'cluster' || (i % 50), '', now()
       FROM generate_series(1, $1) AS i`,
      [grants, users, groups],
    )
    await client.query('ANALYZE')
  })
}

/** The original Go Infra's default organization, which its single-tenant server serves. */
const ORIGINAL_ORGANIZATION = 1000

/**
 * The same users, groups, memberships and grants as `seedGrants`, in the original Go Infra's own tables (after
 * its migrations ran): ids are its 64-bit integers, a grant's subject is a user (kind 1) or a group (kind 2).
 */
export async function seedOriginalGrants(databaseUrl: string, users: number, grants: number, groups: number) {
  const [userId, groupId] = ['10000000 + ', '20000000 + ']
  await withClient(databaseUrl, async (client) => {
    // No triggers: its grants trigger notifies every inserted row, and it has nothing to tell while seeding.
    await client.query(`SET session_replication_role = replica`)
    await client.query(
      `INSERT INTO identities (id, name, organization_id, created_by, created_at, updated_at)
       SELECT ${userId}i, 'bench-user-' || i || '@example.com', $2, 1, now(), now() FROM generate_series(1, $1) AS i`,
      [users, ORIGINAL_ORGANIZATION],
    )
    await client.query(
      `INSERT INTO groups (id, name, organization_id, created_by, created_at, updated_at)
       SELECT ${groupId}i, 'bench-group-' || i, $2, 1, now(), now() FROM generate_series(1, $1) AS i`,
      [groups, ORIGINAL_ORGANIZATION],
    )
    await client.query(
      `INSERT INTO identities_groups (group_id, identity_id)
       SELECT ${groupId}(1 + (i % $2)), ${userId}i FROM generate_series(1, $1) AS i
       UNION SELECT ${groupId}(1 + ((i * 7) % $2)), ${userId}i FROM generate_series(1, $1) AS i`,
      [users, groups],
    )
    await client.query(
      `INSERT INTO grants (id, subject_id, subject_kind, privilege, resource, organization_id, created_by,
                           created_at, updated_at, update_index)
       SELECT 30000000 + i,
              CASE WHEN i % 10 <> 0 THEN ${userId}(1 + (i % $2)) ELSE ${groupId}(1 + (i % $3)) END,
              CASE WHEN i % 10 <> 0 THEN 1 ELSE 2 END,
              (ARRAY['view', 'edit', 'admin', 'logs'])[1 + (i % 4)],
              'cluster' || (i % 50) || '.ns' || i,
              $4, 1, now(), now(), nextval('seq_update_index')
       FROM generate_series(1, $1) AS i`,
      [grants, users, groups, ORIGINAL_ORGANIZATION],
    )
    await client.query('ANALYZE')
  })
}
