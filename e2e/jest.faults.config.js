import base from './jest.config.js'

// `pnpm --filter @infra/e2e test:faults`: real processes killed and restarted; figures in faults/results.md.
export default {
  ...base,
  testMatch: ['<rootDir>/faults/**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/'],
  // One case at a time: each measures how fast the system recovers, which another case's load would skew.
  maxWorkers: 1,
}
