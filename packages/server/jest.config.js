import preset from '@infra/config/jest'

export default {
  ...preset,
  // The kube-apiserver harness (the chart test) built or found cached before any test, and one embedded Postgres.
  globalSetup: '@infra/test-harness/kube-jest-global-setup',
  globalTeardown: '@infra/test-harness/jest-global-teardown',
  testTimeout: 30_000,
}
