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
