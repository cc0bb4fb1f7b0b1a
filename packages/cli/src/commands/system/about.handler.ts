import { API_VERSION } from '@infra/api-types'
import type { Context } from '../../lib/context.js'
import { CLI_VERSION } from '../../lib/version.js'

export default function about(ctx: Context): Promise<void> {
  ctx.io.stdout.write(
    [
      `Infra ${CLI_VERSION} (API ${API_VERSION})`,
      '',
      'Infra is access management for Kubernetes: run one Infra server, then `infra login` once to get',
      'short-lived kubectl access to every cluster you are granted. Admins grant and revoke access in one',
      'place (infra grants add / remove), and it takes effect in the clusters within a second.',
      '',
      'Your login is kept in the OS keyring (or ~/.infra/credentials when there is none), settings in',
      '~/.infra/config, and kubectl contexts named infra:<destination> in your kubeconfig.',
      '',
      'Licensed under the Apache License 2.0.',
      '',
    ].join('\n'),
  )
  return Promise.resolve()
}
