import { InfraClient, isInfraApiError } from '@infra/client-sdk'
import { pino, type Logger } from 'pino'
import type { ConnectorAuditEvent } from './audit/events.js'
import { auditMetrics } from './audit/metrics.js'
import { AuditShipper, IngestError, type AuditStats, type IngestResult } from './audit/shipper.js'
import { AccessList } from './auth/access.js'
import { TokenVerifier } from './auth/tokens.js'
import { BindingReconciler, type ReconcileReport } from './components/binding-reconciler.js'
import { ClusterState } from './components/cluster-state.js'
import { GrantFollower } from './components/grant-follower.js'
import { HealthServer } from './components/health-server.js'
import { MemberRefresher } from './components/member-refresher.js'
import {
  isWildcardHost,
  loadProxyAuthority,
  ProxyCertificates,
  proxyHosts,
} from './components/proxy-certificates.js'
import { type ConnectorConfig, formatHost, parseListen } from './config.js'
import { NameResolver } from './grants/names.js'
import { KubeConnection, type KubeObject } from './kube/connection.js'
import { KubeProxy } from './proxy/proxy.js'
import type { BindingOwner } from './rbac/reconciler.js'
import { Registrar } from './registration.js'
import { CONNECTOR_VERSION } from './version.js'

export type { ReconcileReport } from './components/binding-reconciler.js'

export interface ConnectorOptions extends ConnectorConfig {
  logger?: Logger
  /** Token verifier tuning (tests). */
  jwksRefetchCooldownMs?: number
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
  /** The audit shipper's counters; undefined with `audit: 'off'`. */
  auditStats(): AuditStats | undefined
  stop(graceMs?: number): Promise<void>
}

/**
 * Starts a connector: registration, grants → RBAC, the proxy, and health endpoints. Each is a component with
 * its own lifetime; this wires them together and stops them in the reverse order of their start.
 */
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
  const stops: Array<() => Promise<void> | void> = [() => kube.close(), () => client.close()]
  const stopAll = async () => {
    for (const stop of stops.reverse()) await stop()
  }

  try {
    const listen = parseListen(options.listen)
    const authority = await loadProxyAuthority(options, kube, logger)
    const certificates = await ProxyCertificates.issue(
      authority,
      proxyHosts(options.endpoint, options.tlsSans, listen.host),
      logger,
    )

    // Cluster state feeds registration and the bindings; a change made by someone else to one of the
    // connector's bindings makes the reconciler put it back.
    const cluster = new ClusterState(
      kube,
      options.roles,
      () => {
        registrar.update()
        reconciler.request()
      },
      logger,
    )
    const reconciler = new BindingReconciler({
      destination: options.name,
      kube,
      inputs: {
        grants: () => follower.current,
        eligibleRoles: () => cluster.eligibleRoles(),
        namespaceNames: () => cluster.namespaceNames(),
      },
      resyncMs: options.resyncMs,
      logger,
      ...(options.ownerClusterRole !== undefined
        ? { owner: await clusterRoleOwner(kube, options.ownerClusterRole) }
        : {}),
    })
    const registrar = new Registrar(
      client,
      {
        name: options.name,
        uniqueID: kube.clusterId(),
        endpoint: options.endpoint,
        ca: authority.certificate,
        namespaces: () => cluster.namespaceNames(),
        roles: () => cluster.eligibleRoles(),
      },
      logger,
      options.heartbeatMs,
    )

    // Who may use the proxy: the subjects of the grants, with the current members of granted groups.
    let access: AccessList | undefined
    const keysStopped = new AbortController()
    const verifier = new TokenVerifier(
      { fetchKeys: () => client.jwks({ signal: keysStopped.signal }) },
      options.name,
      options.jwksRefetchCooldownMs !== undefined ? { refetchCooldownMs: options.jwksRefetchCooldownMs } : {},
    )
    const shipper =
      options.audit === 'off'
        ? undefined
        : new AuditShipper({
            send: (events, signal) => ingest(client, options.name, events, signal),
            bufferSize: options.auditBuffer,
            failClosed: options.audit === 'fail-closed',
            logger: logger.child({ component: 'audit' }),
          })
    const proxy = new KubeProxy({
      kube,
      verifier,
      access: () => access,
      logger: logger.child({ component: 'proxy' }),
      certificate: certificates.current,
      ...(shipper ? { audit: shipper } : {}),
    })
    const members = new MemberRefresher({
      client,
      refreshMs: options.groupRefreshMs,
      onRefreshed: (current) => {
        if (!access) return
        access = access.with(current)
        proxy.enforceAccess()
      },
      logger,
    })
    const follower = new GrantFollower({
      client,
      destination: options.name,
      resolver: new NameResolver(client),
      onGrants: (state) => {
        access = new AccessList(state.users, new Set(state.groups.values()), members.current)
        proxy.enforceAccess()
        reconciler.request()
        members.follow(state.groups)
      },
      onUnchanged: () => members.refresh(),
      logger,
    })

    stops.push(
      () => cluster.stop(),
      () => reconciler.stop(),
    )
    await Promise.all([cluster.start(), reconciler.start()])
    await registrar.start()
    stops.push(() => registrar.stop())
    stops.push(() => keysStopped.abort())
    await verifier.refresh()
    members.start()
    stops.push(() => members.stop())
    stops.push(() => follower.stop())
    await follower.start()

    if (shipper) {
      shipper.start()
      // After the proxy has closed (stops run in reverse): the events of its last requests go too.
      stops.push(() => shipper.stop())
    }
    const proxyAddress = await proxy.listen(listen.port, listen.host)
    stops.push(() => proxy.close(0))
    certificates.start((next) => proxy.setCertificate(next))
    stops.push(() => certificates.stop())

    const isReady = () =>
      access !== undefined && registrar.current !== undefined && reconciler.last !== undefined
    const health = options.healthListen
      ? await HealthServer.start(
          options.healthListen,
          isReady,
          shipper ? () => auditMetrics(shipper.stats()) : undefined,
        )
      : undefined
    if (health) stops.push(() => health.stop())

    const proxyHost = isWildcardHost(listen.host) ? '127.0.0.1' : listen.host
    logger.info(
      { listen: proxyAddress, endpoint: options.endpoint, destination: options.name, health: health?.url },
      'connector started',
    )

    let stopping: Promise<void> | undefined
    return {
      url: `https://${formatHost(proxyHost)}:${proxyAddress.port}`,
      port: proxyAddress.port,
      healthUrl: health?.url,
      ca: authority.certificate,
      uniqueID: kube.clusterId(),
      reconciled: () => reconciler.reconciled(),
      lastReconcile: () => reconciler.last,
      isReady,
      auditStats: () => shipper?.stats(),
      stop: (graceMs = 10_000) => {
        stopping ??= (async () => {
          logger.info('stopping')
          health?.closeIdleConnections()
          await follower.stop()
          await proxy.close(graceMs)
          await stopAll()
        })()
        return stopping
      },
    }
  } catch (error) {
    await stopAll()
    throw error
  }
}

/** Sends a batch of audit events; a 400 means the server refuses their content, so sending again cannot help. */
async function ingest(
  client: InfraClient,
  destination: string,
  events: ConnectorAuditEvent[],
  signal: AbortSignal,
): Promise<IngestResult> {
  try {
    // The shipper retries (with the same ids); the SDK's own retries would only delay the next batch.
    return await client.call('ingestAuditEvents', { body: { destination, events } }, { signal, retry: 0 })
  } catch (error) {
    if (isInfraApiError(error) && error.status === 400) throw new IngestError(error.message, true)
    throw error
  }
}

/** The ClusterRole named as the owner of the connector's bindings; it must exist (the chart creates it). */
async function clusterRoleOwner(kube: KubeConnection, name: string): Promise<BindingOwner> {
  const role = await kube.request<KubeObject>(
    'GET',
    `/apis/rbac.authorization.k8s.io/v1/clusterroles/${encodeURIComponent(name)}`,
  )
  if (!role.metadata.uid) throw new Error(`ClusterRole ${name} has no uid`)
  return { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', name, uid: role.metadata.uid }
}
