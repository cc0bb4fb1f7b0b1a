// jest globalSetup: the kube-apiserver harness built (or found in the cache) and one embedded Postgres for the
// run (each test file makes its own database), before any test.
import postgresSetup from '@infra/test-harness/jest-global-setup'
import buildKubeHarness from './kube/jest-global-setup.js'

export default async function globalSetup() {
  buildKubeHarness()
  await postgresSetup()
}
