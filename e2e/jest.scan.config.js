import preset from '@infra/config/jest'

// `pnpm --filter @infra/e2e scan-logs`: reads the run's log files (INFRA_E2E_LOG_DIR, else e2e/.logs); starts nothing.
export default {
  ...preset,
  testMatch: ['<rootDir>/scan/**/*.test.ts'],
}
