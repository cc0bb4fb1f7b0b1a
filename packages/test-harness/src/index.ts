export { createTestDatabase, testDatabaseServerUrl, type TestDatabase } from './postgres.js'
export { eventually, freePort, run, type Result } from './processes.js'
