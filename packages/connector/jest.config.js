import preset from '@infra/config/jest'

export default {
  ...preset,
  // Embedded Postgres for the Infra server, and the kube-apiserver and helm binaries built or fetched once.
  globalSetup: '<rootDir>/test/global-setup.js',
  globalTeardown: '@infra/test-harness/jest-global-teardown',
  testTimeout: 120_000,
}
