import type { Destination, DestinationRequest } from '@infra/api-types'
import type { InfraClient } from '@infra/client-sdk'
import { CoalescingTask, every } from '@infra/scheduling'
import type { Logger } from 'pino'
import { DEFAULT_ROLES, INCLUDE_ROLE_LABEL } from './config.js'
import type { KubeObject } from './kube/connection.js'
import { CONNECTOR_VERSION } from './version.js'

/** Whether a ClusterRole may be granted through Infra. */
export function isEligibleRole(role: KubeObject, extraRoles: readonly string[] = []): boolean {
  const name = role.metadata.name
  if (name.toLowerCase().startsWith('system:')) return false
  if ((DEFAULT_ROLES as readonly string[]).includes(name) || extraRoles.includes(name)) return true
  return role.metadata.labels?.[INCLUDE_ROLE_LABEL] === 'true'
}

export class RegistrationError extends Error {
  override readonly name = 'RegistrationError'
}

export interface RegistrationInput {
  name: string
  uniqueID: string
  endpoint: string
  ca: string
  namespaces: () => string[]
  roles: () => string[]
}

/** Failed updates are tried again sooner than the next heartbeat, backing off up to it. */
const UPDATE_RETRY_INITIAL_MS = 1_000

/**
 * Registers the cluster as a destination, updates it when its namespaces or roles change (coalescing bursts)
 * and heartbeats so the server shows it connected.
 */
export class Registrar {
  private destination: Destination | undefined
  private readonly sends: CoalescingTask
  private heartbeatDue = false
  private stopHeartbeat: (() => void) | undefined
  private debounce: NodeJS.Timeout | undefined
  private lastSent = ''
  private stopped = false

  constructor(
    private readonly client: InfraClient,
    private readonly input: RegistrationInput,
    private readonly logger: Logger,
    private readonly heartbeatMs: number,
  ) {
    this.sends = new CoalescingTask({
      run: () => this.send(),
      onError: (error, retryInMs) => {
        if ((error as { status?: number }).status === 404) this.destination = undefined
        this.logger.warn({ err: error, retryInMs }, 'could not update the destination')
      },
      retry: { initialMs: Math.min(UPDATE_RETRY_INITIAL_MS, heartbeatMs), maxMs: heartbeatMs },
    })
  }

  get current(): Destination | undefined {
    return this.destination
  }

  private body(): DestinationRequest {
    return {
      name: this.input.name,
      uniqueID: this.input.uniqueID,
      kind: 'kubernetes',
      version: CONNECTOR_VERSION,
      connection: { url: this.input.endpoint, ca: this.input.ca },
      resources: [...this.input.namespaces()].sort().slice(0, 10_000),
      roles: [...this.input.roles()].sort().slice(0, 10_000),
    }
  }

  /** Registers the destination (failing when that is refused), then heartbeats. */
  async start(): Promise<void> {
    await this.register()
    this.stopHeartbeat = every(this.heartbeatMs, () => {
      this.heartbeatDue = true
      this.sends.request()
    })
  }

  /** Creates the destination or takes over the one of the same name registered for this cluster. */
  private async register(attempt = 0): Promise<Destination> {
    const body = this.body()
    const page = await this.client.destinations.list({ name: body.name })
    const existing = page.items.find((destination) => destination.name === body.name)
    if (existing && existing.uniqueID !== body.uniqueID) {
      throw new RegistrationError(
        `the destination "${body.name}" is registered for another cluster (uniqueID ${existing.uniqueID}, ` +
          `this cluster is ${body.uniqueID}); choose another --name, or remove that destination first`,
      )
    }
    try {
      this.destination = existing
        ? await this.client.destinations.update(existing.id, body)
        : await this.client.destinations.create(body)
    } catch (error) {
      // Created concurrently (another replica): look it up again.
      if ((error as { status?: number }).status === 409 && !existing && attempt < 3)
        return this.register(attempt + 1)
      throw error
    }
    this.lastSent = JSON.stringify(body)
    this.logger.info(
      {
        destination: body.name,
        uniqueID: body.uniqueID,
        namespaces: body.resources?.length,
        roles: body.roles,
      },
      existing ? 'updated the destination' : 'registered the destination',
    )
    return this.destination
  }

  /** Sends the destination again soon: its namespaces or roles may have changed. */
  update(): void {
    if (this.stopped) return
    if (this.debounce) clearTimeout(this.debounce)
    this.debounce = setTimeout(() => this.sends.request(), 100)
  }

  /** Sends the destination when it changed or a heartbeat is due; registers it again when it was removed. */
  private async send(): Promise<void> {
    const heartbeat = this.heartbeatDue
    this.heartbeatDue = false
    const body = this.body()
    const text = JSON.stringify(body)
    if (!heartbeat && text === this.lastSent) return
    try {
      if (!this.destination) {
        await this.register()
        return
      }
      this.destination = await this.client.destinations.update(this.destination.id, body)
    } catch (error) {
      // The retry still owes the server its heartbeat.
      this.heartbeatDue ||= heartbeat
      throw error
    }
    this.lastSent = text
    if (!heartbeat) {
      this.logger.info({ namespaces: body.resources?.length, roles: body.roles }, 'updated the destination')
    }
  }

  stop(): void {
    this.stopped = true
    this.stopHeartbeat?.()
    if (this.debounce) clearTimeout(this.debounce)
    this.sends.stop()
  }
}
