import { homedir } from 'node:os'
import { delimiter, join } from 'node:path'
import { contextName, isInfraEntry } from '@infra/agent'
import { withDefaultScheme } from '@infra/api-types/server-url'
import { CliError, type Context } from './context.js'
import { EXEC_INSTALL_HINT, execCommand } from './exec-command.js'
import { readFileIfExists, writeFileAtomic } from './files.js'
import { EXEC_API_VERSION, execArgs } from './token-cache.js'
import { loadYaml } from './modules.js'

/** One kubectl context Infra provides: a destination, or a namespace of it. */
export interface AccessEntry {
  destination: string
  namespace?: string
  /** The connector's URL and CA for the destination. */
  server: string
  ca: string
}

interface Named<T> {
  name: string
  [key: string]: unknown
  cluster?: T
  context?: T
  user?: T
}

interface KubeConfig {
  apiVersion?: string
  kind?: string
  clusters?: Named<Record<string, unknown>>[] | null
  contexts?: Named<Record<string, unknown>>[] | null
  users?: Named<Record<string, unknown>>[] | null
  'current-context'?: string
  [key: string]: unknown
}

/** The kubeconfig Infra writes to: the first file of KUBECONFIG, or ~/.kube/config. */
export function kubeconfigPath(env: Context['env']): string {
  const first = (env.KUBECONFIG ?? '').split(delimiter).find((path) => path !== '')
  return first ?? join(env.HOME || homedir(), '.kube', 'config')
}

async function readKubeconfig(path: string): Promise<KubeConfig> {
  const text = readFileIfExists(path)
  if (text === undefined || text.trim() === '') return {}
  const { parse } = await loadYaml()
  try {
    const parsed = parse(text) as unknown
    return parsed && typeof parsed === 'object' ? (parsed as KubeConfig) : {}
  } catch (error) {
    throw new CliError(
      `${path} is not valid YAML: ${(error as Error).message}`,
      'fix it, or point KUBECONFIG elsewhere',
    )
  }
}

function serverOfUser(user: Named<Record<string, unknown>>): string | undefined {
  const exec = (user.user as { exec?: { env?: { name?: string; value?: string }[] } } | undefined)?.exec
  return exec?.env?.find((variable) => variable.name === 'INFRA_SERVER')?.value
}

export interface KubeconfigChange {
  path: string
  contexts: string[]
  removed: string[]
}

/**
 * Makes Infra's entries for `server` in the kubeconfig exactly `entries`: adds and updates them, removes those
 * no longer granted, and leaves every other entry (the user's own, other Infra servers') untouched.
 */
export async function syncKubeconfig(
  ctx: Context,
  server: string,
  entries: AccessEntry[],
  options: { useContext?: string } = {},
): Promise<KubeconfigChange> {
  const path = kubeconfigPath(ctx.env)
  const config = await readKubeconfig(path)
  const clusters = config.clusters ?? []
  const contexts = config.contexts ?? []
  const users = config.users ?? []
  const exec = execCommand(ctx.io)

  // Ours: infra: users whose exec plugin targets this server (or names no server), and what uses them.
  const ownedUsers = new Set(
    users
      .filter((user) => isInfraEntry(user.name) && (serverOfUser(user) ?? server) === server)
      .map((user) => user.name),
  )
  const ownedContexts = new Set(
    contexts
      .filter((context) => {
        const user = context.context?.user
        return isInfraEntry(context.name) && typeof user === 'string' && ownedUsers.has(user)
      })
      .map((context) => context.name),
  )

  const wantedClusters = new Map<string, Named<Record<string, unknown>>>()
  const wantedUsers = new Map<string, Named<Record<string, unknown>>>()
  const wantedContexts = new Map<string, Named<Record<string, unknown>>>()
  for (const entry of entries) {
    const name = contextName(entry.destination)
    wantedClusters.set(name, {
      name,
      cluster: {
        server: withDefaultScheme(entry.server),
        ...(entry.ca ? { 'certificate-authority-data': Buffer.from(entry.ca).toString('base64') } : {}),
      },
    })
    wantedUsers.set(name, {
      name,
      user: {
        exec: {
          apiVersion: EXEC_API_VERSION,
          command: exec.command,
          args: [...exec.args, ...execArgs(entry.destination)],
          env: [{ name: 'INFRA_SERVER', value: server }],
          installHint: EXEC_INSTALL_HINT,
          interactiveMode: 'IfAvailable',
          provideClusterInfo: false,
        },
      },
    })
    const context = contextName(entry.destination, entry.namespace)
    wantedContexts.set(context, {
      name: context,
      context: {
        cluster: name,
        user: name,
        ...(entry.namespace === undefined ? {} : { namespace: entry.namespace }),
      },
    })
  }

  const removed: string[] = []
  const merge = (
    list: Named<Record<string, unknown>>[],
    wanted: Map<string, Named<Record<string, unknown>>>,
    owned: (name: string) => boolean,
    track: boolean,
  ) => {
    const result: Named<Record<string, unknown>>[] = []
    for (const item of list) {
      if (wanted.has(item.name)) continue
      if (owned(item.name)) {
        if (track) removed.push(item.name)
        continue
      }
      result.push(item)
    }
    return [...result, ...wanted.values()]
  }
  // A cluster named like one of our users is ours too.
  config.clusters = merge(clusters, wantedClusters, (name) => ownedUsers.has(name), false)
  config.users = merge(users, wantedUsers, (name) => ownedUsers.has(name), false)
  config.contexts = merge(contexts, wantedContexts, (name) => ownedContexts.has(name), true)
  config.apiVersion ??= 'v1'
  config.kind ??= 'Config'
  config.preferences ??= {}

  const current = config['current-context']
  if (current && removed.includes(current)) delete config['current-context']
  if (options.useContext) config['current-context'] = options.useContext

  const { stringify } = await loadYaml()
  writeFileAtomic(path, stringify(config), 0o600)
  ctx.log.debug(
    `wrote ${wantedContexts.size} context(s) to ${path}${removed.length ? `, removed ${removed.join(', ')}` : ''}`,
  )
  return { path, contexts: [...wantedContexts.keys()], removed }
}
