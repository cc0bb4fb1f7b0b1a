// Jest global setup: one embedded Postgres for the run (for the Infra server), and the kube-apiserver
// harness binary and helm fetched or built before any test, so no test hook waits for a first build.
import { fetchHelmBeforeTests } from '@infra/test-harness/helm'
import kubeAndPostgresSetup from '@infra/test-harness/kube-jest-global-setup'

export default async function globalSetup() {
  fetchHelmBeforeTests()
  await kubeAndPostgresSetup()
}
