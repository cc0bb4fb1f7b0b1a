// Starts an Infra server on a fresh, empty database for the fuzz run and prints one JSON line to stdout:
// {"url", "adminKey", "runKeys": {"seeded", "main", "logout"}, "seededOperations"} (admin keys, one per run). Runs until SIGTERM/SIGINT, then stops the server and removes the database.
//
// The database is created on TEST_DATABASE_URL when set, otherwise on an embedded Postgres started here.
import { startEmbeddedPostgres } from '@infra/embedded-postgres'
import { startTestServer } from '@infra/test-harness'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pino } from 'pino'
import { startServer } from '../dist/index.js'

/**
 * Creates a few of each resource and returns a schemathesis configuration that puts their IDs into generated
 * requests, and the operations it covers: with made-up IDs, every operation on `{id}` stops at 404.
 */
async function seed(call) {
  const post = (path, body) => call('POST', path, body)
  const ids = { users: [], groups: [], grants: [], destinations: [], providers: [], keys: [] }
  for (let i = 0; i < 6; i++) ids.users.push((await post('/api/users', { name: `fuzz-user-${i}` })).id)
  for (let i = 0; i < 4; i++) {
    const group = (await post('/api/groups', { name: `fuzz-group-${i}` })).id
    ids.groups.push(group)
    await call('PATCH', `/api/groups/${group}/users`, { usersToAdd: ids.users.slice(i, i + 2) })
  }
  for (let i = 0; i < 4; i++) {
    ids.grants.push(
      (await post('/api/grants', { user: ids.users[i], privilege: 'view', resource: `fuzz${i}` })).id,
    )
    ids.grants.push(
      (await post('/api/grants', { group: ids.groups[i], privilege: 'edit', resource: 'fuzz.web' })).id,
    )
    ids.destinations.push((await post('/api/destinations', { name: `fuzz-${i}`, uniqueID: `fuzz-${i}` })).id)
    ids.keys.push((await post('/api/access-keys', { userID: ids.users[i] })).id)
  }
  for (let i = 0; i < 3; i++) {
    const provider = { name: `fuzz-idp-${i}`, url: 'idp.example.com', clientID: 'fuzz', clientSecret: 'fuzz' }
    ids.providers.push((await post('/api/providers', provider)).id)
  }
  const list = (values) => `[${values.map((value) => JSON.stringify(value)).join(', ')}]`
  // Path and query parameters get one fixed ID each (a dictionary there trips schemathesis 4.32 over the $ref'd ID
  // schema); every operation its own, so that deletions do not leave the other operations only 404s.
  // Bodies draw from dictionaries, half the time.
  const fixed = {
    getUser: { 'path.id': ids.users[0] },
    updateUser: { 'path.id': ids.users[1] },
    deleteUser: { 'path.id': ids.users[5] },
    getGroup: { 'path.id': ids.groups[0] },
    updateGroupUsers: { 'path.id': ids.groups[1] },
    deleteGroup: { 'path.id': ids.groups[3] },
    getGrant: { 'path.id': ids.grants[0] },
    deleteGrant: { 'path.id': ids.grants[7] },
    getDestination: { 'path.id': ids.destinations[0] },
    updateDestination: { 'path.id': ids.destinations[1] },
    deleteDestination: { 'path.id': ids.destinations[3] },
    getProvider: { 'path.id': ids.providers[0] },
    deleteProvider: { 'path.id': ids.providers[2] },
    deleteAccessKey: { 'path.id': ids.keys[0] },
    listUsers: { 'query.group': ids.groups[0] },
    listGroups: { 'query.userID': ids.users[1] },
    listGrants: { 'query.user': ids.users[0] },
    listAccessKeys: { 'query.userID': ids.users[2] },
  }
  const drawn = {
    updateGroupUsers: { 'body.usersToAdd[*]': 'users', 'body.usersToRemove[*]': 'users' },
    createGrant: { 'body.user': 'users', 'body.group': 'groups' },
    patchGrants: {
      'body.grantsToAdd[*].user': 'users',
      'body.grantsToAdd[*].group': 'groups',
      'body.grantsToRemove[*].user': 'users',
      'body.grantsToRemove[*].group': 'groups',
    },
    createAccessKey: { 'body.userID': 'users' },
  }
  const base = await readFile(new URL('./schemathesis.toml', import.meta.url), 'utf8')
  const lines = [base, '# Written by fuzz/start-server.mjs for one run: IDs of the resources it created.', '']
  for (const name of ['users', 'groups'])
    lines.push(`[dictionaries.${name}]`, `values = ${list(ids[name])}`, '')
  const operations = [...new Set([...Object.keys(fixed), ...Object.keys(drawn)])]
  for (const operation of operations) {
    const entries = [
      ...Object.entries(fixed[operation] ?? {}).map(([key, value]) => `"${key}" = ${JSON.stringify(value)}`),
      ...Object.entries(drawn[operation] ?? {}).map(
        ([key, dictionary]) => `"${key}" = { dictionary = "${dictionary}", probability = 0.5 }`,
      ),
    ]
    lines.push(
      '[[operations]]',
      `include-operation-id = "${operation}"`,
      `parameters = { ${entries.join(', ')} }`,
      '',
    )
  }
  return { config: lines.join('\n'), operations }
}

const postgresDir = await mkdtemp(join(tmpdir(), 'infra-fuzz-'))
const cleanups = [() => rm(postgresDir, { recursive: true, force: true })]

async function cleanup() {
  for (const step of cleanups.reverse()) await step().catch(() => undefined)
}

try {
  if (!process.env.TEST_DATABASE_URL) {
    const postgres = await startEmbeddedPostgres({
      dataDir: join(postgresDir, 'postgres'),
      persistent: false,
    })
    cleanups.push(() => postgres.stop())
    process.env.TEST_DATABASE_URL = postgres.adminUrl
  }
  const infra = await startTestServer((base) =>
    startServer({
      ...base,
      port: Number(process.env.PORT ?? 0),
      // Errors only, to stderr: the fuzz report is what matters, and a 500 is logged with its stack.
      logger: pino({ level: process.env.INFRA_FUZZ_LOG_LEVEL ?? 'error' }, pino.destination(2)),
      settings: {
        // The fuzzer sends thousands of requests with one key and logs in with made-up names: limits it would
        // trip over (429, documented and correct) would only hide what the rest of the API does.
        rateLimitPerMinute: 1_000_000_000,
        loginThrottle: { freeAttempts: 1_000_000_000, baseLockoutMs: 1, maxLockoutMs: 1 },
        // A generated lastUpdateIndex starts a long poll: answer 304 soon instead of holding a worker for minutes.
        longPollTimeoutMs: 500,
      },
    }),
  )
  cleanups.push(() => infra.close())
  const call = (method, path, body) => infra.api(method, path, { body })
  const post = (path, body) => call('POST', path, body)
  // An admin key for each schemathesis run: its stateful phase may revoke the key it uses (DELETE
  // /api/access-keys/{id} with an ID from GET /api/access-keys), and POST /api/logout always does.
  const runKeys = {}
  for (const run of ['seeded', 'main', 'logout']) {
    runKeys[run] = (await post('/api/access-keys', { userID: 'self', name: `fuzz-${run}` })).accessKey
  }
  let seededOperations = []
  if (process.env.FUZZ_CONFIG_FILE) {
    const seeded = await seed(call)
    await writeFile(process.env.FUZZ_CONFIG_FILE, seeded.config)
    seededOperations = seeded.operations
  }
  process.stdout.write(
    `${JSON.stringify({ url: infra.url, adminKey: infra.adminKey, runKeys, seededOperations })}\n`,
  )
} catch (error) {
  process.stderr.write(`start-server: ${error instanceof Error ? error.stack : String(error)}\n`)
  await cleanup()
  process.exit(1)
}

for (const signal of ['SIGTERM', 'SIGINT']) {
  process.once(signal, () => {
    void cleanup().then(() => process.exit(0))
  })
}
