import type { Grant } from '@infra/api-types'
import { CoalescingTask, every } from '@infra/scheduling'
import type { Logger } from 'pino'
import type { KubeConnection, KubeObject } from '../kube/connection.js'
import { Informer } from '../kube/informer.js'
import { desiredBindings, type SubjectNames } from '../rbac/desired-bindings.js'
import { ownedSelector } from '../rbac/labels.js'
import {
  type BindingCache,
  type BindingObject,
  type BindingOwner,
  planBindings,
  reconcileBindings,
  type ReconcileResult,
} from '../rbac/reconciler.js'

export interface ReconcileReport extends ReconcileResult {
  at: Date
  durationMs: number
  /** Grants that bind nothing, and why. */
  skipped: { grant: Grant; reason: string }[]
}

/** What the bindings are made from. */
interface ReconcileInputs {
  /** The grants and their subjects' names; undefined until the first grants have arrived. */
  grants(): { grants: readonly Grant[]; names: SubjectNames } | undefined
  eligibleRoles(): string[]
  namespaceNames(): string[]
}

interface BindingReconcilerOptions {
  destination: string
  kube: KubeConnection
  inputs: ReconcileInputs
  /** Interval of the full reconcile from live lists (in case a watch missed something). */
  resyncMs: number
  logger: Logger
  /** Set as the owner of every binding (e.g. the chart's ClusterRole), so that deleting it removes them. */
  owner?: BindingOwner
}

/** Failed reconciles, and bindings left unwritten, are tried again after this, backing off to the maximum. */
const RETRY = { initialMs: 5_000, maxMs: 60_000 }

/** A reconcile that ran, but left some bindings unwritten: retried like a failure, without its warning. */
class UnwrittenBindings extends Error {
  override name = 'UnwrittenBindings'
}

/**
 * Keeps the connector's RBAC bindings equal to the grants: reconciles on request (grants or cluster changed),
 * when someone else changes one of its bindings (the watch puts it back), and every `resyncMs` from live lists.
 */
export class BindingReconciler {
  /** The connector's own bindings: [ClusterRoleBindings, RoleBindings]. */
  private readonly ownBindings: [Informer<KubeObject>, Informer<KubeObject>]
  private readonly cache: BindingCache
  private readonly reconciles: CoalescingTask
  private stopResync: (() => void) | undefined
  private fullResyncDue = false
  private lastReport: ReconcileReport | undefined
  private lastSkipped = ''
  private waiters: Array<(report: ReconcileReport) => void> = []

  constructor(private readonly options: BindingReconcilerOptions) {
    const watch = (path: string) =>
      new Informer<KubeObject>(options.kube, {
        path,
        labelSelector: ownedSelector(options.destination),
        onChange: () => this.request(),
        logger: options.logger,
      })
    this.ownBindings = [
      watch('/apis/rbac.authorization.k8s.io/v1/clusterrolebindings'),
      watch('/apis/rbac.authorization.k8s.io/v1/rolebindings'),
    ]
    const [clusterRoleBindings, roleBindings] = this.ownBindings
    this.cache = {
      clusterRoleBindings: () => clusterRoleBindings.list() as BindingObject[],
      roleBindings: () => roleBindings.list() as BindingObject[],
      written: (kind, object, deleted) =>
        (kind === 'ClusterRoleBinding' ? clusterRoleBindings : roleBindings).written(object, deleted),
    }
    this.reconciles = new CoalescingTask({
      run: () => this.reconcile(),
      onError: (error) => {
        if (!(error instanceof UnwrittenBindings))
          options.logger.warn({ err: error }, 'reconcile failed; retrying')
      },
      retry: RETRY,
    })
  }

  /** Starts watching the connector's bindings (resolves once they are listed) and the periodic resync. */
  async start(): Promise<void> {
    await Promise.all(this.ownBindings.map((informer) => informer.start()))
    this.stopResync = every(this.options.resyncMs, () => {
      this.fullResyncDue = true
      this.request()
    })
  }

  /** Reconciles now, or again after the reconcile in progress. */
  request(): void {
    this.reconciles.request()
  }

  /** Resolves after the next reconcile that starts after this call. */
  reconciled(): Promise<ReconcileReport> {
    return new Promise<ReconcileReport>((resolve) => {
      this.waiters.push(resolve)
      this.request()
    })
  }

  get last(): ReconcileReport | undefined {
    return this.lastReport
  }

  stop(): void {
    this.stopResync?.()
    this.reconciles.stop()
    for (const informer of this.ownBindings) informer.stop()
  }

  private async reconcile(): Promise<void> {
    const current = this.options.inputs.grants()
    if (!current) return
    const waiters = this.waiters
    this.waiters = []
    let report: ReconcileReport
    try {
      report = await this.reconcileOnce(current.grants, current.names)
    } catch (error) {
      // Those waiting see the next reconcile that gets through.
      this.waiters.push(...waiters)
      throw error
    }
    this.lastReport = report
    this.logReport(report)
    for (const resolve of waiters) resolve(report)
    if (report.problems.length > 0) throw new UnwrittenBindings(report.problems.join('; '))
  }

  private async reconcileOnce(grants: readonly Grant[], names: SubjectNames): Promise<ReconcileReport> {
    const { destination, kube, inputs, logger } = this.options
    const started = performance.now()
    const { bindings, skipped } = desiredBindings(
      destination,
      grants,
      names,
      new Set(inputs.eligibleRoles()),
      {
        namespaces: new Set(inputs.namespaceNames()),
      },
    )
    // Normally from the watch caches; the periodic resync lists, in case a watch missed something.
    const live = this.fullResyncDue
    this.fullResyncDue = false
    const result = await reconcileBindings(
      kube,
      planBindings(destination, bindings),
      destination,
      logger,
      live ? undefined : this.cache,
      this.options.owner,
    )
    return { ...result, skipped, at: new Date(), durationMs: Math.round(performance.now() - started) }
  }

  private logReport(report: ReconcileReport): void {
    const { logger } = this.options
    const skippedText = JSON.stringify(report.skipped.map((entry) => [entry.grant.id, entry.reason]))
    if (skippedText !== this.lastSkipped) {
      for (const entry of report.skipped) {
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
    this.lastSkipped = skippedText
    if (report.created + report.updated + report.deleted > 0 || report.problems.length > 0) {
      logger.info(
        {
          created: report.created,
          updated: report.updated,
          deleted: report.deleted,
          problems: report.problems.length,
          durationMs: report.durationMs,
        },
        'reconciled bindings',
      )
    }
  }
}
