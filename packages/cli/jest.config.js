import preset from '@infra/config/jest'

export default {
  ...preset,
  globalSetup: '@infra/test-harness/jest-global-setup',
  globalTeardown: '@infra/test-harness/jest-global-teardown',
  testTimeout: 60_000,
}
