import preset from '@infra/config/jest'

export default {
  ...preset,
  testMatch: ['<rootDir>/**/*.test.ts'],
  // The fault and soak suites run on their own (test:faults, test:soak), after the tests; the log scan after them.
  testPathIgnorePatterns: ['/node_modules/', '<rootDir>/faults/', '<rootDir>/soak/', '<rootDir>/scan/'],
  // Builds the kube-apiserver harness once up front (no-op when cached or when
  // INFRA_TEST_KUBECONFIG points at an existing cluster), so no test hook has to
  // wait for a first-time Go build; starts the embedded Postgres the tests share.
  globalSetup: '@infra/test-harness/kube-jest-global-setup',
  globalTeardown: '@infra/test-harness/jest-global-teardown',
  testTimeout: 180_000,
}
