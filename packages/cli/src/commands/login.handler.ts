import type { InfraClient, LoginResponse } from '@infra/client-sdk'
import { refreshKubeconfig } from '../lib/access.js'
import { findServer, readConfig, upsertServer, writeConfig, type ServerEntry } from '../lib/config.js'
import { CliError, type Context } from '../lib/context.js'
import { startBackgroundAgent } from '../lib/background-agent.js'
import { toCliError } from '../lib/errors.js'
import { connect } from '../lib/trust.js'
import { prompter, type Prompter } from '../lib/prompt.js'
import { apiStatus } from '../lib/sdk-errors.js'
import { loadAccessKey, storeAccessKey } from '../lib/secrets.js'
import { displayServer, normalizeServer } from '../lib/session.js'
import { clearTokenCache, keyIdOf } from '../lib/token-cache.js'
import type { ArgsOf } from './define.js'
import type { command } from './login.js'

async function chooseServer(
  ctx: Context,
  ask: () => Promise<Prompter>,
  known: ServerEntry[],
): Promise<string> {
  const p = await ask()
  if (known.length > 0) {
    const choice = await p.select('Server', [
      ...known.map((entry) => ({
        value: entry.url,
        label: displayServer(entry.url),
        hint: entry.keyID ? `logged in as ${entry.user}` : undefined,
      })),
      { value: '', label: 'Connect to a new server' },
    ])
    if (choice) return choice
  }
  return p.text('Server', {
    placeholder: 'infra.example.com',
    validate: (value) => (value.trim() === '' ? 'enter the host (and port) of the Infra server' : undefined),
  })
}

type Method =
  | { kind: 'key'; key: string; machine?: boolean }
  | { kind: 'password'; user: string; password?: string | undefined }
  | { kind: 'provider'; name: string }

async function chooseMethod(
  ctx: Context,
  args: ArgsOf<typeof command>,
  client: InfraClient,
  ask: () => Promise<Prompter>,
): Promise<Method> {
  if (args.provider !== undefined) return { kind: 'provider', name: args.provider }
  if (args.method === 'universal-auth') return machineCredentials(ctx, args)
  if (args.key) return { kind: 'key', key: args.key }
  if (args.user)
    return { kind: 'password', user: args.user, password: args.password ?? ctx.env.INFRA_PASSWORD }
  if (ctx.env.INFRA_ACCESS_KEY) return { kind: 'key', key: ctx.env.INFRA_ACCESS_KEY }
  if (ctx.env.INFRA_USER) {
    return { kind: 'password', user: ctx.env.INFRA_USER, password: args.password ?? ctx.env.INFRA_PASSWORD }
  }
  if (!ctx.interactive) {
    throw new CliError(
      'no login method given',
      'pass --key (or set INFRA_ACCESS_KEY), or --user with INFRA_PASSWORD set (or INFRA_USER and INFRA_PASSWORD)',
    )
  }
  let providers: { name: string; kind: string }[] = []
  try {
    providers = (await client.providers.list({ limit: 50 })).items
  } catch (error) {
    ctx.log.debug(`could not list identity providers: ${(error as Error).message}`)
  }
  const p = await ask()
  const choice = await p.select('Login method', [
    ...providers.map((provider) => ({
      value: `provider:${provider.name}`,
      label: provider.name,
      hint: provider.kind,
    })),
    { value: 'password', label: 'Username and password' },
    { value: 'key', label: 'Access key' },
  ])
  if (choice === 'key') {
    return {
      kind: 'key',
      key: await p.password('Access key', {
        validate: (value) => (value.trim() === '' ? 'paste your access key' : undefined),
      }),
    }
  }
  if (choice === 'password') {
    const user = await p.text('Username', {
      validate: (value) => (value.trim() === '' ? 'enter your user name' : undefined),
    })
    return { kind: 'password', user }
  }
  return { kind: 'provider', name: choice.slice('provider:'.length) }
}

/**
 * Universal auth, for machines: a client ID and secret, which are the two halves of an access key made with
 * `infra keys add IDENTITY` (`<client ID>.<client secret>`).
 */
function machineCredentials(ctx: Context, args: ArgsOf<typeof command>): Method {
  const clientId = args.clientId ?? ctx.env.INFRA_UNIVERSAL_AUTH_CLIENT_ID
  const clientSecret = args.clientSecret ?? ctx.env.INFRA_UNIVERSAL_AUTH_CLIENT_SECRET
  if (!clientId || !clientSecret) {
    throw new CliError(
      'universal-auth needs a client ID and a client secret',
      'pass --client-id and --client-secret (or set INFRA_UNIVERSAL_AUTH_CLIENT_ID and INFRA_UNIVERSAL_AUTH_CLIENT_SECRET)',
    )
  }
  return { kind: 'key', key: `${clientId.trim()}.${clientSecret.trim()}`, machine: true }
}

const validateNewPassword = (value: string) =>
  value.length < 8
    ? 'must be at least 8 characters'
    : value.length > 256
      ? 'must be at most 256 characters'
      : undefined

async function loginWith(
  ctx: Context,
  client: InfraClient,
  method: Method,
  ask: () => Promise<Prompter>,
): Promise<LoginResponse> {
  if (method.kind === 'provider') {
    const { browserLogin } = await import('../lib/browser-login.js')
    return browserLogin(ctx, client, method.name)
  }
  if (method.kind === 'key') {
    try {
      return await client.login({ accessKey: method.key.trim() })
    } catch (error) {
      const status = apiStatus(error)
      if (status === 400 || status === 401) {
        throw new CliError(
          'the access key is not valid (expired, revoked or mistyped)',
          'ask your administrator for a new key',
        )
      }
      throw error
    }
  }
  let password = method.password
  if (password === undefined) {
    if (!ctx.interactive) {
      throw new CliError(
        `a password for ${method.user} is required`,
        'set INFRA_PASSWORD (or pass --password)',
      )
    }
    password = await (await ask()).password('Password')
  }
  try {
    return await client.login({ passwordCredentials: { name: method.user, password } })
  } catch (error) {
    const status = apiStatus(error)
    if (status === 401) {
      throw new CliError(
        'the user name or password is incorrect',
        'check them, or ask your administrator to reset the password',
      )
    }
    if (status === 429) throw toCliError(error)
    throw error
  }
}

async function chooseNewPassword(
  ctx: Context,
  client: InfraClient,
  login: LoginResponse,
  ask: () => Promise<Prompter>,
) {
  if (!ctx.interactive) {
    throw new CliError(
      `${login.name} has a one-time password and must choose a new one`,
      'run infra login in a terminal (without --non-interactive) to set it',
    )
  }
  const p = await ask()
  ctx.io.stderr.write('Your password is a one-time password: choose a new one.\n')
  for (;;) {
    const password = await p.password('New password', { validate: validateNewPassword })
    const again = await p.password('Confirm new password')
    if (password !== again) {
      ctx.io.stderr.write('The passwords do not match; try again.\n')
      continue
    }
    const session = client.withAccessKey(login.accessKey)
    try {
      await session.users.updatePassword('self', { password })
      return
    } catch (error) {
      if (apiStatus(error) === 400) {
        ctx.io.stderr.write(`${toCliError(error).message}; try again.\n`)
        continue
      }
      throw error
    } finally {
      await session.close()
    }
  }
}

export default async function login(ctx: Context, args: ArgsOf<typeof command>): Promise<void> {
  let prompts: Prompter | undefined
  const ask = async () => (prompts ??= await prompter(ctx))
  const config = readConfig(ctx.home)

  let server = args.SERVER ?? args.server ?? ctx.env.INFRA_SERVER
  if (!server) {
    if (ctx.interactive) server = await chooseServer(ctx, ask, config.servers)
    else if (config.current) server = config.current
    else throw new CliError('no server given', 'run infra login SERVER (or set INFRA_SERVER)')
  }
  const url = await normalizeServer(server)

  const entry: ServerEntry = { ...(findServer(config, url) ?? { url }) }
  const client = await connect(ctx, args, url, entry, ask)
  let session: InfraClient | undefined
  try {
    const method = await chooseMethod(ctx, args, client, ask)
    const login = await loginWith(ctx, client, method, ask)
    if (login.passwordUpdateRequired) await chooseNewPassword(ctx, client, login, ask)

    // The earlier session key on this server is replaced: revoke it rather than leave it valid.
    const previous = findServer(config, url)
    if (previous?.keyID && previous.keyID !== keyIdOf(login.accessKey)) {
      const oldKey = await loadAccessKey(ctx, previous)
      if (oldKey && oldKey !== login.accessKey) {
        const old = client.withAccessKey(oldKey)
        await old
          .logout()
          .catch((error: unknown) =>
            ctx.log.debug(`could not revoke the previous key: ${(error as Error).message}`),
          )
        await old.close()
      }
    }

    const stored = upsertServer(config, url)
    Object.assign(stored, entry, {
      user: login.name,
      userID: login.userID,
      keyID: keyIdOf(login.accessKey),
      expires: login.expires,
    })
    await storeAccessKey(ctx, stored, login.accessKey)
    config.current = url
    writeConfig(ctx.home, config)
    clearTokenCache(ctx.home)

    session = client.withAccessKey(login.accessKey)
    let contexts: string[] = []
    try {
      const { access, change } = await refreshKubeconfig(ctx, url, session)
      contexts = change.contexts
      ctx.log.debug(`kubeconfig ${change.path}: ${change.contexts.length} context(s)`)
      if (access.length === 0) ctx.log.debug('no access to any destination yet')
    } catch (error) {
      ctx.log.warn(`could not update kubeconfig: ${toCliError(error).message} (run infra list to retry)`)
    }
    const machine = method.kind === 'key' && method.machine === true
    // A machine (CI, a service) gets its access key printed, and no background agent.
    if (!args.noAgent && !machine) startBackgroundAgent(ctx, url)
    if (args.plain || machine) ctx.io.stdout.write(`${login.accessKey}\n`)
    ctx.log.info(`Logged in as ${ctx.style.bold(login.name)} to ${displayServer(url)}`)
    if (contexts.length > 0) {
      ctx.log.info(`kubectl contexts: ${contexts.join(', ')} (switch with infra use DESTINATION)`)
    }
  } finally {
    await client.close()
    await session?.close()
  }
}
