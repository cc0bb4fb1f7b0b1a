import preset from '@infra/config/jest'

export default {
  ...preset,
  // The kube-apiserver harness built up front (its test starts two clusters) and the embedded Postgres.
  globalSetup: './dist/kube-jest-global-setup.js',
  globalTeardown: './dist/jest-global-teardown.js',
  testTimeout: 180_000,
}
