import { type Backoff, CoalescingTask, every } from '@infra/scheduling'
import { readFile } from 'node:fs/promises'
import type { Logger } from 'pino'
import type { ConnectorConfig } from '../config.js'
import type { KubeConnection } from '../kube/connection.js'
import { checkAuthority, endpointHost, issueServingCertificate, type KeyPairPem } from '../tls/authority.js'
import { DirectoryStore, loadOrCreateAuthority, SecretStore } from '../tls/store.js'

export type ServingCertificate = KeyPairPem & { notAfter: Date }

interface RenewalOptions {
  /** How often the certificate's expiry is looked at. */
  checkEveryMs: number
  /** A certificate expiring sooner than this is renewed. */
  renewWithinMs: number
  /** Waits between failed renewals. */
  retry: Backoff
}

const DEFAULT_RENEWAL: RenewalOptions = {
  checkEveryMs: 12 * 3_600_000,
  renewWithinMs: 30 * 24 * 3_600_000,
  retry: { initialMs: 60_000, maxMs: 3_600_000 },
}

/** The proxy's CA: given, or generated once and kept in a Secret (in a cluster) or a directory. */
export async function loadProxyAuthority(
  options: Pick<
    ConnectorConfig,
    'caCert' | 'caKey' | 'caStore' | 'caSecret' | 'namespace' | 'name' | 'stateDir'
  >,
  kube: KubeConnection,
  logger: Logger,
): Promise<KeyPairPem> {
  if (options.caCert !== undefined && options.caKey !== undefined) {
    const authority = {
      certificate: await readFile(options.caCert, 'utf8'),
      key: await readFile(options.caKey, 'utf8'),
    }
    checkAuthority(authority)
    return authority
  }
  const description = `Infra connector CA (${options.name})`
  if (options.caStore === 'secret' || (options.caStore === undefined && kube.inCluster)) {
    const namespace = options.namespace ?? kube.namespace
    if (!namespace) throw new Error('cannot tell the connector namespace: set --namespace or POD_NAMESPACE')
    return loadOrCreateAuthority(new SecretStore(kube, namespace, options.caSecret), description, logger)
  }
  return loadOrCreateAuthority(new DirectoryStore(options.stateDir), description, logger)
}

/** The names the proxy's certificate is valid for: its endpoint, extra SANs, the listen host and loopback. */
export function proxyHosts(endpoint: string, tlsSans: readonly string[], listenHost: string): string[] {
  return [
    endpointHost(endpoint),
    ...tlsSans,
    ...(isWildcardHost(listenHost) ? [] : [listenHost]),
    'localhost',
    '127.0.0.1',
  ]
}

/** Whether a listen host means every interface (or is not given). */
export function isWildcardHost(host: string): boolean {
  return host === '' || host === '0.0.0.0' || host === '::'
}

/**
 * The proxy's serving certificate, issued by its CA at start and renewed before it expires. A failed renewal
 * is logged and tried again with backoff while the current certificate keeps serving.
 */
export class ProxyCertificates {
  private serving: ServingCertificate
  private readonly renewal: CoalescingTask
  private stopChecks: (() => void) | undefined
  private onRenewed: (certificate: ServingCertificate) => void = () => undefined

  private constructor(
    private readonly authority: KeyPairPem,
    private readonly hosts: readonly string[],
    first: ServingCertificate,
    private readonly logger: Logger,
    private readonly options: RenewalOptions,
    private readonly issue: typeof issueServingCertificate,
  ) {
    this.serving = first
    this.renewal = new CoalescingTask({
      run: () => this.renewIfDue(),
      onError: (error, retryInMs) =>
        this.logger.error({ err: error, retryInMs }, 'could not renew the proxy certificate'),
      retry: options.retry,
    })
  }

  /** Issues the first certificate. */
  static async issue(
    authority: KeyPairPem,
    hosts: readonly string[],
    logger: Logger,
    options: Partial<RenewalOptions> = {},
    issue = issueServingCertificate,
  ): Promise<ProxyCertificates> {
    const first = await issue(authority, hosts)
    return new ProxyCertificates(authority, hosts, first, logger, { ...DEFAULT_RENEWAL, ...options }, issue)
  }

  get current(): ServingCertificate {
    return this.serving
  }

  /** Starts checking for renewal; `onRenewed` gets every new certificate. */
  start(onRenewed: (certificate: ServingCertificate) => void): void {
    this.onRenewed = onRenewed
    this.stopChecks = every(this.options.checkEveryMs, () => this.renewal.request())
  }

  private async renewIfDue(): Promise<void> {
    if (this.serving.notAfter.getTime() - Date.now() > this.options.renewWithinMs) return
    const next = await this.issue(this.authority, this.hosts)
    this.serving = next
    this.onRenewed(next)
    this.logger.info({ notAfter: next.notAfter }, 'renewed the proxy certificate')
  }

  stop(): void {
    this.stopChecks?.()
    this.renewal.stop()
  }
}
