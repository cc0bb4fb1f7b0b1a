import base from './jest.config.js'

// `pnpm --filter @infra/e2e test:soak`: mixed traffic for INFRA_SOAK_MINUTES; figures in soak/results.md.
export default {
  ...base,
  testMatch: ['<rootDir>/soak/**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/'],
}
