export { createTestDatabase, testDatabaseServerUrl, type TestDatabase } from './postgres.js'
