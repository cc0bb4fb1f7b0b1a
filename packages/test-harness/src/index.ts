export { startDedicatedPostgres, type DedicatedPostgres } from './dedicated-postgres.js'
export { startTcpLoadBalancer, type Backend, type TcpLoadBalancer } from './load-balancer.js'
export { createTestDatabase, testDatabaseServerUrl, type TestDatabase } from './postgres.js'
export { eventually, freePort, run, type Result } from './processes.js'
export {
  randomAccessKey,
  startTestServer,
  uniqueName,
  type ApiResponse,
  type RequestOptions,
  type StartedServer,
  type TestServer,
  type TestServerBaseOptions,
} from './infra-server.js'
