import { mkdir, readFile, rename, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { Logger } from 'pino'
import { type KubeConnection, KubeError } from '../kube/connection.js'
import { MANAGED_BY_LABEL, MANAGED_BY_VALUE } from '../rbac/labels.js'
import { checkAuthority, generateAuthority, type KeyPairPem } from './authority.js'

export interface AuthorityStore {
  readonly description: string
  load(): Promise<KeyPairPem | undefined>
  /** Saves a new CA unless one appeared meanwhile; returns the one that is stored. */
  saveIfAbsent(pair: KeyPairPem): Promise<KeyPairPem>
}

/** A CA kept as `ca.crt` and `ca.key` in a directory (when running outside a cluster). */
export class DirectoryStore implements AuthorityStore {
  constructor(private readonly dir: string) {}

  get description() {
    return `directory ${this.dir}`
  }

  async load(): Promise<KeyPairPem | undefined> {
    try {
      const [certificate, key] = await Promise.all([
        readFile(join(this.dir, 'ca.crt'), 'utf8'),
        readFile(join(this.dir, 'ca.key'), 'utf8'),
      ])
      return { certificate, key }
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
      throw error
    }
  }

  async saveIfAbsent(pair: KeyPairPem): Promise<KeyPairPem> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 })
    const existing = await this.load()
    if (existing) return existing
    const suffix = `.${process.pid}.tmp`
    await writeFile(join(this.dir, `ca.key${suffix}`), pair.key, { mode: 0o600 })
    await writeFile(join(this.dir, `ca.crt${suffix}`), pair.certificate, { mode: 0o644 })
    await rename(join(this.dir, `ca.key${suffix}`), join(this.dir, 'ca.key'))
    await rename(join(this.dir, `ca.crt${suffix}`), join(this.dir, 'ca.crt'))
    return pair
  }
}

interface SecretObject {
  metadata: { name: string; labels?: Record<string, string> }
  type?: string
  data?: Record<string, string>
}

/** A CA kept in a `kubernetes.io/tls` Secret in the connector's namespace (in a cluster). */
export class SecretStore implements AuthorityStore {
  constructor(
    private readonly kube: KubeConnection,
    private readonly namespace: string,
    private readonly name: string,
  ) {}

  get description() {
    return `Secret ${this.namespace}/${this.name}`
  }

  private get path() {
    return `/api/v1/namespaces/${encodeURIComponent(this.namespace)}/secrets`
  }

  async load(): Promise<KeyPairPem | undefined> {
    try {
      const secret = await this.kube.request<SecretObject>(
        'GET',
        `${this.path}/${encodeURIComponent(this.name)}`,
      )
      const certificate = secret.data?.['tls.crt']
      const key = secret.data?.['tls.key']
      if (!certificate || !key) return undefined
      return {
        certificate: Buffer.from(certificate, 'base64').toString('utf8'),
        key: Buffer.from(key, 'base64').toString('utf8'),
      }
    } catch (error) {
      if (error instanceof KubeError && error.status === 404) return undefined
      throw error
    }
  }

  async saveIfAbsent(pair: KeyPairPem): Promise<KeyPairPem> {
    const body = {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: this.name, labels: { [MANAGED_BY_LABEL]: MANAGED_BY_VALUE } },
      type: 'kubernetes.io/tls',
      data: {
        'tls.crt': Buffer.from(pair.certificate).toString('base64'),
        'tls.key': Buffer.from(pair.key).toString('base64'),
      },
    }
    try {
      await this.kube.request('POST', this.path, { body })
      return pair
    } catch (error) {
      if (!(error instanceof KubeError) || error.status !== 409) throw error
    }
    // Another replica was first, or an empty Secret (e.g. from the chart) exists: fill it if empty.
    const existing = await this.load()
    if (existing) return existing
    await this.kube.request('PATCH', `${this.path}/${encodeURIComponent(this.name)}`, {
      body: { data: body.data },
      contentType: 'application/merge-patch+json',
    })
    return (await this.load()) ?? pair
  }
}

/** Loads the CA from the store, generating and saving one the first time. */
export async function loadOrCreateAuthority(
  store: AuthorityStore,
  name: string,
  logger: Logger,
): Promise<KeyPairPem> {
  const existing = await store.load()
  if (existing) {
    checkAuthority(existing)
    logger.info({ store: store.description }, 'loaded the proxy CA')
    return existing
  }
  const created = await store.saveIfAbsent(await generateAuthority(name))
  checkAuthority(created)
  logger.info({ store: store.description }, 'generated the proxy CA')
  return created
}
