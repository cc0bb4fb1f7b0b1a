export { contextName, isInfraEntry, parseContextName, INFRA_PREFIX } from './kubeconfig/names.js'
