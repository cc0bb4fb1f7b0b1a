import postgresSetup from './jest-global-setup.js'
import { buildKubeApiServerBeforeTests } from './kube.js'

/** The kube-apiserver harness built (or found cached) and one embedded Postgres for the run, before any test. */
export default async function globalSetup(): Promise<void> {
  buildKubeApiServerBeforeTests()
  await postgresSetup()
}
