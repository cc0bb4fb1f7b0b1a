export {
  createTestDatabase,
  startStoppablePostgres,
  testDatabaseServerUrl,
  type StoppablePostgres,
  type TestDatabase,
} from './postgres.js'
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
export { startTcpLoadBalancer, type Backend, type TcpLoadBalancer } from './load-balancer.js'
export { kubeRequestEvent } from './audit.js'
