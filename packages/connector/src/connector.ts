import type { Grant } from '@infra/api-types'
import { InfraClient } from '@infra/client-sdk'
import { readFile } from 'node:fs/promises'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { pino, type Logger } from 'pino'
import { AccessList } from './auth/access.js'
import { TokenVerifier } from './auth/tokens.js'
import { type ConnectorConfig, parseListen } from './config.js'
import { NameResolver } from './grants/names.js'
import type { KubeObject } from './kube/connection.js'
import { KubeConnection } from './kube/connection.js'
import { Informer } from './kube/informer.js'
import { KubeProxy } from './proxy/proxy.js'
import { desiredBindings } from './rbac/desired-bindings.js'
import { ownedSelector } from './rbac/labels.js'
import {
  type BindingCache,
  type BindingObject,
  planBindings,
  reconcileBindings,
  type ReconcileResult,
} from './rbac/reconciler.js'
import { isEligibleRole, Registrar } from './registration.js'
import { CONNECTOR_VERSION } from './version.js'
import { checkAuthority, endpointHost, issueServingCertificate, type KeyPairPem } from './tls/authority.js'
import { DirectoryStore, loadOrCreateAuthority, SecretStore } from './tls/store.js'

export interface ConnectorOptions extends ConnectorConfig {
  logger?: Logger
  /** Token verifier tuning (tests). */
  jwksRefetchCooldownMs?: number
}

export interface ReconcileReport extends ReconcileResult {
  at: Date
  durationMs: number
  /** Grants that bind nothing, and why. */
  skipped: { grant: Grant; reason: string }[]
}

export interface RunningConnector {
  /** https://host:port of the proxy. */
  url: string
  port: number
  /** http://host:port of the health endpoints, if enabled. */
  healthUrl: string | undefined
  /** The CA users must trust for the proxy (PEM). */
  ca: string
  uniqueID: string
  /** Resolves after the next reconcile that starts after this call. */
  reconciled(): Promise<ReconcileReport>
  lastReconcile(): ReconcileReport | undefined
  isReady(): boolean
  stop(graceMs?: number): Promise<void>
}

const RECONCILE_RETRY_MS = 5_000
const RENEW_CHECK_MS = 12 * 3_600_000

/** Starts a connector: registration, grants → RBAC, the proxy, and health endpoints. */
export async function startConnector(options: ConnectorOptions): Promise<RunningConnector> {
  const logger = options.logger ?? pino({ level: options.logLevel, base: { component: 'infra-connector' } })
  const kube = await KubeConnection.load({
    ...(options.kubeconfig !== undefined ? { kubeconfig: options.kubeconfig } : {}),
    ...(options.context !== undefined ? { context: options.context } : {}),
  })
  const client = new InfraClient({
    server: options.server,
    accessKey: options.accessKey,
    userAgent: `infra-connector/${CONNECTOR_VERSION}`,
    ...(options.serverCa !== undefined ? { trustedCertificate: options.serverCa } : {}),
    ...(options.skipTLSVerify ? { skipTLSVerify: true } : {}),
  })
  const stopController = new AbortController()
  const cleanups: Array<() => Promise<void> | void> = [() => kube.close(), () => client.close()]
  const cleanup = async () => {
    for (const step of cleanups.reverse()) await step()
  }

  try {
    // The proxy's CA: given, or generated once and kept in a Secret (in a cluster) or a directory.
    let authority: KeyPairPem
    if (options.caCert !== undefined && options.caKey !== undefined) {
      authority = {
        certificate: await readFile(options.caCert, 'utf8'),
        key: await readFile(options.caKey, 'utf8'),
      }
      checkAuthority(authority)
    } else if (options.caStore === 'secret' || (options.caStore === undefined && kube.inCluster)) {
      const namespace = options.namespace ?? kube.namespace
      if (!namespace) throw new Error('cannot tell the connector namespace: set --namespace or POD_NAMESPACE')
      authority = await loadOrCreateAuthority(
        new SecretStore(kube, namespace, options.caSecret),
        `Infra connector CA (${options.name})`,
        logger,
      )
    } else {
      authority = await loadOrCreateAuthority(
        new DirectoryStore(options.stateDir),
        `Infra connector CA (${options.name})`,
        logger,
      )
    }
    const listen = parseListen(options.listen)
    const hosts = [
      endpointHost(options.endpoint),
      ...options.tlsSans,
      ...(listen.host && listen.host !== '0.0.0.0' && listen.host !== '::' ? [listen.host] : []),
      'localhost',
      '127.0.0.1',
    ]
    let serving = await issueServingCertificate(authority, hosts)

    // Cluster state: namespaces and eligible roles (registration, unknown-namespace checks) and our own
    // bindings (a change made by someone else triggers a reconcile that puts them back).
    let reconcileSoon: () => void = () => undefined
    const onClusterChange = () => {
      registrar.update()
      reconcileSoon()
    }
    const namespaces = new Informer<KubeObject>(kube, {
      path: '/api/v1/namespaces',
      onChange: onClusterChange,
      logger,
    })
    const clusterRoles = new Informer<KubeObject>(kube, {
      path: '/apis/rbac.authorization.k8s.io/v1/clusterroles',
      onChange: onClusterChange,
      logger,
    })
    const ownBindings: [Informer<KubeObject>, Informer<KubeObject>] = [
      new Informer<KubeObject>(kube, {
        path: '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings',
        labelSelector: ownedSelector(options.name),
        onChange: () => reconcileSoon(),
        logger,
      }),
      new Informer<KubeObject>(kube, {
        path: '/apis/rbac.authorization.k8s.io/v1/rolebindings',
        labelSelector: ownedSelector(options.name),
        onChange: () => reconcileSoon(),
        logger,
      }),
    ]
    const informers = [namespaces, clusterRoles, ...ownBindings]
    const namespaceNames = () => namespaces.list().map((namespace) => namespace.metadata.name)
    const eligibleRoles = () =>
      clusterRoles
        .list()
        .filter((role) => isEligibleRole(role, options.roles))
        .map((role) => role.metadata.name)

    const registrar = new Registrar(
      client,
      {
        name: options.name,
        uniqueID: kube.clusterId(),
        endpoint: options.endpoint,
        ca: authority.certificate,
        namespaces: namespaceNames,
        roles: eligibleRoles,
      },
      logger,
      options.heartbeatMs,
    )
    cleanups.push(() => informers.forEach((informer) => informer.stop()))
    await Promise.all(informers.map((informer) => informer.start()))
    await registrar.register()
    registrar.startHeartbeat()
    cleanups.push(() => registrar.stop())

    // Grants → access list and bindings.
    const verifier = new TokenVerifier(
      { fetchKeys: () => client.jwks({ signal: stopController.signal }) },
      {
        ...(options.jwksRefetchCooldownMs !== undefined
          ? { refetchCooldownMs: options.jwksRefetchCooldownMs }
          : {}),
      },
    )
    await verifier.refresh()

    let access: AccessList | undefined
    let grants: Grant[] | undefined
    let names: Awaited<ReturnType<NameResolver['resolve']>> | undefined
    const resolver = new NameResolver(client)
    let lastReport: ReconcileReport | undefined
    let waiters: Array<(report: ReconcileReport) => void> = []
    let reconciling = false
    let again = false
    let retryTimer: NodeJS.Timeout | undefined
    let lastSkipped = ''

    const proxy = new KubeProxy({
      kube,
      verifier,
      access: () => access,
      logger: logger.child({ component: 'proxy' }),
      certificate: serving,
    })

    const bindingCache: BindingCache = {
      clusterRoleBindings: () => ownBindings[0].list() as BindingObject[],
      roleBindings: () => ownBindings[1].list() as BindingObject[],
      written: (kind, object, deleted) =>
        ownBindings[kind === 'ClusterRoleBinding' ? 0 : 1].written(object, deleted),
    }
    let fullResyncDue = false
    const reconcile = async () => {
      if (!grants || !names) return
      if (reconciling) {
        again = true
        return
      }
      reconciling = true
      const pendingWaiters = waiters
      waiters = []
      const started = performance.now()
      try {
        const roles = new Set(eligibleRoles())
        const { bindings, skipped } = desiredBindings(options.name, grants, names, roles, {
          namespaces: new Set(namespaceNames()),
        })
        // Normally from the watch caches; the periodic resync lists, in case a watch missed something.
        const live = fullResyncDue
        fullResyncDue = false
        const result = await reconcileBindings(
          kube,
          planBindings(options.name, bindings),
          options.name,
          logger,
          live ? undefined : bindingCache,
        )
        const report: ReconcileReport = {
          ...result,
          skipped,
          at: new Date(),
          durationMs: Math.round(performance.now() - started),
        }
        lastReport = report
        const skippedText = JSON.stringify(skipped.map((entry) => [entry.grant.id, entry.reason]))
        if (skippedText !== lastSkipped && skipped.length > 0) {
          for (const entry of skipped) {
            logger.warn(
              {
                grant: entry.grant.id,
                privilege: entry.grant.privilege,
                resource: entry.grant.resource,
                reason: entry.reason,
              },
              'grant not applied',
            )
          }
        }
        lastSkipped = skippedText
        if (result.created + result.updated + result.deleted > 0 || result.problems.length > 0) {
          logger.info(
            {
              created: result.created,
              updated: result.updated,
              deleted: result.deleted,
              problems: result.problems.length,
              durationMs: report.durationMs,
            },
            'reconciled bindings',
          )
        }
        if (result.problems.length > 0 && !retryTimer) {
          retryTimer = setTimeout(() => {
            retryTimer = undefined
            reconcileSoon()
          }, RECONCILE_RETRY_MS)
          retryTimer.unref()
        }
        for (const resolve of pendingWaiters) resolve(report)
      } catch (error) {
        logger.warn({ err: error }, 'reconcile failed; retrying')
        waiters.push(...pendingWaiters)
        if (!retryTimer) {
          retryTimer = setTimeout(() => {
            retryTimer = undefined
            reconcileSoon()
          }, RECONCILE_RETRY_MS)
          retryTimer.unref()
        }
      } finally {
        reconciling = false
        if (again) {
          again = false
          void reconcile()
        }
      }
    }
    reconcileSoon = () => void reconcile()
    const resync = setInterval(() => {
      fullResyncDue = true
      reconcileSoon()
    }, options.resyncMs)
    resync.unref()
    cleanups.push(() => {
      clearInterval(resync)
      if (retryTimer) clearTimeout(retryTimer)
    })

    // Current members of the groups holding grants here, read again on every grant change and whenever the
    // grants watch wakes with the same list (a member joined or left such a group), and every --group-refresh
    // in case a wake-up was missed.
    let grantedGroups = new Map<string, string>()
    let members = new Map<string, Set<string>>()
    let refreshing: Promise<void> | undefined
    let refreshAgain = false
    const refreshMembers = async (): Promise<void> => {
      if (refreshing) {
        refreshAgain = true
        return refreshing
      }
      refreshing = (async () => {
        try {
          const next = new Map<string, Set<string>>()
          await Promise.all(
            [...grantedGroups].map(async ([id, name]) => {
              const names = new Set<string>()
              for await (const user of client.users.iterate(
                { group: id, limit: 1000 },
                { signal: stopController.signal },
              )) {
                names.add(user.name)
              }
              next.set(name, names)
            }),
          )
          members = next
          if (access) {
            access = access.with(members)
            proxy.enforceAccess()
          }
        } catch (error) {
          if (!stopController.signal.aborted) logger.warn({ err: error }, 'could not read group members')
        } finally {
          refreshing = undefined
          if (refreshAgain) {
            refreshAgain = false
            void refreshMembers()
          }
        }
      })()
      return refreshing
    }
    const membersTimer = setInterval(() => void refreshMembers(), options.groupRefreshMs)
    membersTimer.unref()
    cleanups.push(() => clearInterval(membersTimer))

    let firstGrants!: () => void
    let grantsFailed!: (error: unknown) => void
    const firstGrantsLoaded = new Promise<void>((resolve, reject) => {
      firstGrants = resolve
      grantsFailed = reject
    })
    const follow = async () => {
      let failures = 0
      while (!stopController.signal.aborted) {
        try {
          for await (const list of client.grants.watch(
            { destination: options.name },
            {
              signal: stopController.signal,
              onRetry: (error, info) =>
                logger.warn({ err: error, retryInMs: info.delayMs }, 'grant watch interrupted'),
              onUnchanged: () => void refreshMembers(),
            },
          )) {
            failures = 0
            const resolved = await resolver.resolve(list, stopController.signal)
            grants = list
            names = resolved
            const users = new Set<string>()
            const groups = new Set<string>()
            for (const grant of list) {
              if (grant.user && resolved.users.has(grant.user))
                users.add(resolved.users.get(grant.user) ?? '')
              if (grant.group && resolved.groups.has(grant.group))
                groups.add(resolved.groups.get(grant.group) ?? '')
            }
            grantedGroups = new Map(
              list.flatMap((grant) =>
                grant.group && resolved.groups.has(grant.group)
                  ? [[grant.group, resolved.groups.get(grant.group) ?? ''] as const]
                  : [],
              ),
            )
            access = new AccessList(users, groups, members)
            proxy.enforceAccess()
            firstGrants()
            void reconcile()
            void refreshMembers()
          }
        } catch (error) {
          if (stopController.signal.aborted) return
          failures++
          const delay = Math.min(30_000, 500 * 2 ** Math.min(failures, 6))
          logger.error({ err: error, retryInMs: delay }, 'following grants failed')
          if (access === undefined && failures >= 3) grantsFailed(error)
          await new Promise((resolve) => setTimeout(resolve, delay))
        }
      }
    }
    void follow()
    cleanups.push(() => stopController.abort())
    await firstGrantsLoaded

    const proxyAddress = await proxy.listen(listen.port, listen.host)
    cleanups.push(() => proxy.close(0))
    const renew = setInterval(() => {
      if (serving.notAfter.getTime() - Date.now() > 30 * 24 * 3_600_000) return
      void issueServingCertificate(authority, hosts).then((next) => {
        serving = next
        proxy.setCertificate(next)
        logger.info({ notAfter: next.notAfter }, 'renewed the proxy certificate')
      })
    }, RENEW_CHECK_MS)
    renew.unref()
    cleanups.push(() => clearInterval(renew))

    const isReady = () => access !== undefined && registrar.current !== undefined && lastReport !== undefined
    let healthServer: http.Server | undefined
    let healthUrl: string | undefined
    if (options.healthListen) {
      const healthListen = parseListen(options.healthListen)
      const server = http.createServer((request, response) => {
        const path = (request.url ?? '').split('?', 1)[0]
        if (path === '/healthz' || path === '/livez') {
          response.writeHead(200, { 'content-type': 'text/plain' }).end('ok')
        } else if (path === '/readyz') {
          const ready = isReady()
          response
            .writeHead(ready ? 200 : 503, { 'content-type': 'text/plain' })
            .end(ready ? 'ok' : 'not ready')
        } else {
          response.writeHead(404, { 'content-type': 'text/plain' }).end('not found')
        }
      })
      healthServer = server
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject)
        server.listen(healthListen.port, healthListen.host || undefined, () => resolve())
      })
      const address = server.address() as AddressInfo
      healthUrl = `http://${formatHost(healthListen.host || '127.0.0.1')}:${address.port}`
      cleanups.push(
        () =>
          new Promise<void>((resolve) => {
            server.close(() => resolve())
            server.closeAllConnections()
          }),
      )
    }

    const proxyHost =
      listen.host && listen.host !== '0.0.0.0' && listen.host !== '::' ? listen.host : '127.0.0.1'
    logger.info(
      { listen: proxyAddress, endpoint: options.endpoint, destination: options.name, health: healthUrl },
      'connector started',
    )

    let stopping: Promise<void> | undefined
    return {
      url: `https://${formatHost(proxyHost)}:${proxyAddress.port}`,
      port: proxyAddress.port,
      healthUrl,
      ca: authority.certificate,
      uniqueID: kube.clusterId(),
      reconciled: () =>
        new Promise<ReconcileReport>((resolve) => {
          waiters.push(resolve)
          void reconcile()
        }),
      lastReconcile: () => lastReport,
      isReady,
      stop: (graceMs = 10_000) => {
        stopping ??= (async () => {
          logger.info('stopping')
          healthServer?.closeIdleConnections()
          stopController.abort()
          await proxy.close(graceMs)
          await cleanup()
        })()
        return stopping
      },
    }
  } catch (error) {
    stopController.abort()
    await cleanup()
    throw error
  }
}

function formatHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host
}
