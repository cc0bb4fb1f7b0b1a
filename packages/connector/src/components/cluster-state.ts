import type { Logger } from 'pino'
import type { KubeConnection, KubeObject } from '../kube/connection.js'
import { Informer } from '../kube/informer.js'
import { isEligibleRole } from '../registration.js'

/**
 * The cluster's namespaces and the ClusterRoles eligible for grants, watched (for registration and the
 * unknown-namespace checks of the bindings).
 */
export class ClusterState {
  private readonly namespaces: Informer<KubeObject>
  private readonly clusterRoles: Informer<KubeObject>

  constructor(
    kube: KubeConnection,
    private readonly extraRoles: readonly string[],
    onChange: () => void,
    logger: Logger,
  ) {
    this.namespaces = new Informer<KubeObject>(kube, { path: '/api/v1/namespaces', onChange, logger })
    this.clusterRoles = new Informer<KubeObject>(kube, {
      path: '/apis/rbac.authorization.k8s.io/v1/clusterroles',
      onChange,
      logger,
    })
  }

  /** Resolves once both have been listed. */
  async start(): Promise<void> {
    await Promise.all([this.namespaces.start(), this.clusterRoles.start()])
  }

  namespaceNames(): string[] {
    return this.namespaces.list().map((namespace) => namespace.metadata.name)
  }

  eligibleRoles(): string[] {
    return this.clusterRoles
      .list()
      .filter((role) => isEligibleRole(role, this.extraRoles))
      .map((role) => role.metadata.name)
  }

  stop(): void {
    this.namespaces.stop()
    this.clusterRoles.stop()
  }
}
