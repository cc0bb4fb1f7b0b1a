// Server benchmarks, each figure beside a baseline measured in the same run and beside its previous run.
// Writes bench/results.json and bench/results.md. BENCH_SECTIONS=id,id runs only those sections.
import { writeBenchResults, type Section } from '@infra/test-harness/bench'
import { fileURLToPath } from 'node:url'
import { applyMigrations } from '../src/db/migrate.js'
import { benchDatabase } from './database.js'
import { seedGrants } from './seed.js'
import { accessLog } from './sections/access-log.js'
import { auditIngest } from './sections/audit-ingest.js'
import { auditList } from './sections/audit-list.js'
import { grantsOfUser } from './sections/grants-of-user.js'
import { largePages } from './sections/large-pages.js'
import { longPollWaiters } from './sections/long-poll-waiters.js'
import { memory } from './sections/memory.js'
import { original } from './sections/original.js'
import { usersSelf } from './sections/users-self.js'
import { workers } from './sections/workers.js'

const USERS = 10_000
const GRANTS = 100_000
const GROUPS = 500

/** Each section starts its own servers on the one seeded database. */
const sections: Record<string, (databaseUrl: string) => Promise<Section>> = {
  'users-self': usersSelf,
  'long-poll-waiters': longPollWaiters,
  'grants-of-user': (url) => grantsOfUser(url, USERS, GRANTS),
  'large-pages': largePages,
  workers,
  'access-log': accessLog,
  memory,
  original: (url) => original(url, USERS, GRANTS, GROUPS),
  'audit-ingest': auditIngest,
  'audit-list': auditList,
}

const wanted = process.env.BENCH_SECTIONS?.split(',') ?? Object.keys(sections)
const results: Section[] = []
const bench = await benchDatabase()
try {
  await applyMigrations(bench.database.url)
  await seedGrants(bench.database.url, USERS, GRANTS, GROUPS)
  for (const id of wanted) {
    const run = sections[id]
    if (!run) throw new Error(`no bench section "${id}"; there are ${Object.keys(sections).join(', ')}`)
    results.push(await run(bench.database.url))
  }
} finally {
  await bench.close()
}
console.log(
  await writeBenchResults(
    fileURLToPath(new URL('.', import.meta.url)),
    'Server benchmarks',
    'Run with `pnpm --filter @infra/server bench` (`BENCH_SECTIONS=id,…` for some sections). Load from ' +
      'autocannon in the benchmark process; each server runs as its own process on the same machine, with ' +
      'Postgres, so every figure stands beside a baseline measured in the same run.',
    results,
  ),
)
