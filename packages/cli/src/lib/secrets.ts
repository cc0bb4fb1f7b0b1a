import { join } from 'node:path'
import type { ServerEntry } from './config.js'
import type { Context } from './context.js'
import { readFileIfExists, writeFileAtomic } from './files.js'

/** The keyring service Infra's access keys are stored under; the account is the server URL. */
export const KEYRING_SERVICE = 'infra'

export const credentialsPath = (home: string) => join(home, 'credentials')

interface CredentialsFile {
  keys: Record<string, string>
}

function readCredentials(home: string): CredentialsFile {
  const text = readFileIfExists(credentialsPath(home))
  if (!text) return { keys: {} }
  try {
    const parsed = JSON.parse(text) as Partial<CredentialsFile>
    return { keys: parsed.keys && typeof parsed.keys === 'object' ? parsed.keys : {} }
  } catch {
    return { keys: {} }
  }
}

function writeCredentials(home: string, credentials: CredentialsFile): void {
  writeFileAtomic(credentialsPath(home), `${JSON.stringify(credentials, null, 2)}\n`)
}

type KeyringEntry = {
  setPassword(password: string): void
  getPassword(): string | null | undefined
  deletePassword(): boolean
}

async function keyringEntry(server: string): Promise<KeyringEntry> {
  const { Entry } = await import('@napi-rs/keyring')
  return new Entry(KEYRING_SERVICE, server)
}

/** `INFRA_KEYRING=file` skips the OS keyring (headless machines, tests). */
function keyringDisabled(ctx: Context): boolean {
  return ctx.env.INFRA_KEYRING === 'file'
}

/**
 * Stores the access key for `entry.url` in the OS keyring, or in `~/.infra/credentials` (mode 0600) when
 * there is no usable keyring (`setPassword` throws: no D-Bus session, a locked keyring, ...).
 */
export async function storeAccessKey(ctx: Context, entry: ServerEntry, key: string): Promise<void> {
  if (!keyringDisabled(ctx)) {
    try {
      ;(await keyringEntry(entry.url)).setPassword(key)
      entry.keyStore = 'keyring'
      removeFromFile(ctx, entry.url)
      ctx.log.debug(`stored the access key for ${entry.url} in the OS keyring`)
      return
    } catch (error) {
      ctx.log.debugOnce(
        'keyring-fallback',
        `the OS keyring is not available (${(error as Error).message}): ` +
          `keeping access keys in ${credentialsPath(ctx.home)} (mode 0600) instead`,
      )
    }
  }
  const credentials = readCredentials(ctx.home)
  credentials.keys[entry.url] = key
  writeCredentials(ctx.home, credentials)
  entry.keyStore = 'file'
}

export async function loadAccessKey(ctx: Context, entry: ServerEntry): Promise<string | undefined> {
  if (entry.keyStore === 'keyring' && !keyringDisabled(ctx)) {
    try {
      return (await keyringEntry(entry.url)).getPassword() ?? undefined
    } catch (error) {
      ctx.log.debug(`could not read the OS keyring: ${(error as Error).message}`)
      return undefined
    }
  }
  return readCredentials(ctx.home).keys[entry.url]
}

function removeFromFile(ctx: Context, server: string): void {
  const credentials = readCredentials(ctx.home)
  if (!(server in credentials.keys)) return
  delete credentials.keys[server]
  writeCredentials(ctx.home, credentials)
}

/** Forgets the access key of `entry` wherever it is kept. */
export async function deleteAccessKey(ctx: Context, entry: ServerEntry): Promise<void> {
  removeFromFile(ctx, entry.url)
  if (entry.keyStore === 'keyring' && !keyringDisabled(ctx)) {
    try {
      ;(await keyringEntry(entry.url)).deletePassword()
    } catch (error) {
      ctx.log.debug(`could not remove the key from the OS keyring: ${(error as Error).message}`)
    }
  }
  delete entry.keyStore
  delete entry.keyID
  delete entry.expires
}
