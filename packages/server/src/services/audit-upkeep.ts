import type { FailureLog } from '../db/availability.js'
import type { SqlPool } from '../db/prisma.js'
import { AuditChain } from './audit-chain.js'
import { pruneAuditEvents } from './audit-retention.js'

export interface AuditUpkeepOptions {
  /** Events stored longer ago than this are removed. */
  retentionMs: number
  /** How often stored events are sealed into the chain: how late the export stream may be. */
  sealIntervalMs: number
  /** How often retention runs. */
  pruneIntervalMs: number
}

/** Seals new events every `sealIntervalMs` and applies retention every `pruneIntervalMs`, on every replica. */
export class AuditUpkeep {
  readonly chain: AuditChain
  private sealing: Promise<void> | undefined
  private pruning: Promise<void> | undefined
  private readonly timers: NodeJS.Timeout[] = []

  constructor(
    private readonly sql: SqlPool,
    key: Buffer,
    private readonly failures: FailureLog,
    readonly options: AuditUpkeepOptions,
  ) {
    this.chain = new AuditChain(sql, key)
  }

  start(): void {
    const every = (ms: number, work: () => unknown) => {
      const timer = setInterval(work, ms)
      timer.unref()
      this.timers.push(timer)
    }
    every(this.options.sealIntervalMs, () => (this.sealing ??= this.seal()))
    const prune = () => {
      this.pruning ??= this.prune()
    }
    every(this.options.pruneIntervalMs, prune)
    // Also at start: a server restarted more often than the interval would otherwise never get to it.
    prune()
  }

  async stop(): Promise<void> {
    for (const timer of this.timers) clearInterval(timer)
    await Promise.all([this.sealing, this.pruning])
  }

  /** Seals what is stored now (after the run in progress, if any): head and verify then include it. */
  async sealNow(): Promise<void> {
    await this.sealing
    await (this.sealing ??= this.seal())
  }

  private async seal(): Promise<void> {
    try {
      await this.chain.sealAll()
    } catch (error) {
      this.failures.failed(error, 'could not seal audit events')
    } finally {
      this.sealing = undefined
    }
  }

  private async prune(): Promise<void> {
    try {
      await pruneAuditEvents(this.sql, new Date(Date.now() - this.options.retentionMs))
    } catch (error) {
      this.failures.failed(error, 'could not apply audit retention')
    } finally {
      this.pruning = undefined
    }
  }
}
