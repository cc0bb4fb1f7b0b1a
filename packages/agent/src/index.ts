export { contextName, isInfraEntry, parseContextName, INFRA_PREFIX } from './kubeconfig/names.js'
export { keepCurrent, type KeepCurrentOptions, type Sources } from './keep-current.js'
export { agentFiles, isAlive, onAgentReplaced, runningAgent, startAgent, stopAgent } from './process.js'
