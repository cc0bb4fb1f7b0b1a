import base from './jest.config.js'

// `pnpm --filter @infra/e2e test:faults`: real processes killed and restarted; figures in faults/results.md.
export default {
  ...base,
  testMatch: ['<rootDir>/faults/**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/'],
}
