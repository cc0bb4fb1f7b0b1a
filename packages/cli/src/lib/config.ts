import { join } from 'node:path'
import { CliError } from './context.js'
import { readFileIfExists, writeFileAtomic } from './files.js'

/** What the CLI remembers about one server. The access key itself is in the keyring (or credentials file). */
export interface ServerEntry {
  /** The base URL, as normalized by the SDK: `https://infra.example.com`. */
  url: string
  user?: string
  userID?: string
  /** The public half of the stored access key (`<keyID>` of `<keyID>.<secret>`); absent when logged out. */
  keyID?: string
  /** When the stored access key expires. */
  expires?: string
  /** Where the access key is kept. */
  keyStore?: 'keyring' | 'file'
  /** PEM of the certificate the user chose to trust for this server. */
  trustedCertificate?: string
  trustedFingerprint?: string
  skipTLSVerify?: boolean
}

export interface ConfigFile {
  version: 1
  /** URL of the server commands talk to by default. */
  current?: string
  servers: ServerEntry[]
}

export const configPath = (home: string) => join(home, 'config')

export function readConfig(home: string): ConfigFile {
  const path = configPath(home)
  const text = readFileIfExists(path)
  if (text === undefined || text.trim() === '') return { version: 1, servers: [] }
  try {
    const parsed = JSON.parse(text) as Partial<ConfigFile>
    const config: ConfigFile = {
      version: 1,
      servers: Array.isArray(parsed.servers)
        ? parsed.servers.filter((entry) => typeof entry?.url === 'string')
        : [],
    }
    if (typeof parsed.current === 'string') config.current = parsed.current
    return config
  } catch {
    throw new CliError(`${path} is not valid JSON`, `fix or delete it, then run infra login`)
  }
}

export function writeConfig(home: string, config: ConfigFile): void {
  writeFileAtomic(configPath(home), `${JSON.stringify(config, null, 2)}\n`)
}

export function findServer(config: ConfigFile, url: string): ServerEntry | undefined {
  return config.servers.find((entry) => entry.url === url)
}

/** The entry for `url`, added to the list when new. */
export function upsertServer(config: ConfigFile, url: string): ServerEntry {
  let entry = findServer(config, url)
  if (!entry) {
    entry = { url }
    config.servers.push(entry)
  }
  return entry
}
