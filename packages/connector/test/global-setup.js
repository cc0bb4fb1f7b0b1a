// Jest global setup: one embedded Postgres for the run (for the Infra server), and the kube-apiserver
// harness binary and helm fetched or built before any test, so no test hook waits for a first build.
import { execFileSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import kubeAndPostgresSetup from '@infra/test-harness/kube-jest-global-setup'

export default async function globalSetup() {
  execFileSync('bash', [fileURLToPath(new URL('../scripts/helm.sh', import.meta.url))], {
    stdio: ['ignore', 'ignore', 'inherit'],
  })
  await kubeAndPostgresSetup()
}
